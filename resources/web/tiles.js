"use strict";
// The optional tile base map (console/tiles.py): a raster tile layer under the store's water and
// roads, offered as a base layer in the layer control, with a "GCJ-02 correction" switch for tiles
// drawn in GCJ-02. It hooks in as a map extension when Python registered the `tiles` object.

// GCJ-02 as in gis/crs.py (the published eviltransform formula); tests compare the two.
const GCJ_KRASOVSKY_A = 6378245.0;
const GCJ_KRASOVSKY_EE = 0.00669342162296594323;
const GCJ_CHINA_LON = [72.004, 137.8347];
const GCJ_CHINA_LAT = [0.8293, 55.8271];

function wgs84ToGcj02(lon, lat) {
  if (lon < GCJ_CHINA_LON[0] || lon > GCJ_CHINA_LON[1] || lat < GCJ_CHINA_LAT[0] || lat > GCJ_CHINA_LAT[1]) {
    return [lon, lat];
  }
  const x = lon - 105.0;
  const y = lat - 35.0;
  const { PI, sin, sqrt, abs } = Math;
  const periodic = ((20.0 * sin(6.0 * PI * x) + 20.0 * sin(2.0 * PI * x)) * 2.0) / 3.0;
  const shiftLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    + periodic
    + ((20.0 * sin(PI * y) + 40.0 * sin((PI * y) / 3.0)) * 2.0) / 3.0
    + ((160.0 * sin((PI * y) / 12.0) + 320.0 * sin((PI * y) / 30.0)) * 2.0) / 3.0;
  const shiftLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    + periodic
    + ((20.0 * sin(PI * x) + 40.0 * sin((PI * x) / 3.0)) * 2.0) / 3.0
    + ((150.0 * sin((PI * x) / 12.0) + 300.0 * sin((PI * x) / 30.0)) * 2.0) / 3.0;
  // Metres on the Krasovsky ellipsoid, turned into degrees.
  const radLat = (lat * PI) / 180.0;
  const w = 1.0 - GCJ_KRASOVSKY_EE * sin(radLat) ** 2;
  const meridianRadius = (GCJ_KRASOVSKY_A * (1.0 - GCJ_KRASOVSKY_EE)) / (w * sqrt(w));
  const parallelRadius = (GCJ_KRASOVSKY_A / sqrt(w)) * Math.cos(radLat);
  return [lon + ((shiftLon / parallelRadius) * 180.0) / PI, lat + ((shiftLat / meridianRadius) * 180.0) / PI];
}

// A tile layer that can draw GCJ-02 tiles onto WGS-84 data. The GCJ-02 offset changes by metres
// over tens of kilometres, so over one screen it is the offset at the view's centre: the layer
// picks and places its tiles as if the map were centred on gcj02(centre). Leaflet positions tiles
// in exactly these two places (the tiled pixel bounds and each zoom level's transform).
const ShiftableTileLayer = L.TileLayer.extend({
  options: { gcj02: false },

  setGcj02(on) {
    this.options.gcj02 = on;
    if (this._map) this._resetView();
    return this;
  },

  // The source's zoom range limits this layer only, not how far the map zooms.
  beforeAdd() {},

  _shifted(center) {
    if (!this.options.gcj02) return center;
    const [lon, lat] = wgs84ToGcj02(center.lng, center.lat);
    return L.latLng(lat, lon);
  },

  _getTiledPixelBounds(center) {
    return L.TileLayer.prototype._getTiledPixelBounds.call(this, this._shifted(center));
  },

  _setZoomTransform(level, center, zoom) {
    L.TileLayer.prototype._setZoomTransform.call(this, level, this._shifted(center), zoom);
  },

  // After a pan the offset of the new centre applies (Leaflet itself re-places levels on zoom only).
  _onMoveEnd() {
    L.TileLayer.prototype._onMoveEnd.call(this);
    if (this.options.gcj02 && this._map && !this._map._animatingZoom) {
      this._setZoomTransforms(this._map.getCenter(), this._map.getZoom());
    }
  },
});

function addTileBaseMap(map, tiles) {
  const config = JSON.parse(tiles.config);
  const layer = new ShiftableTileLayer(config.url, {
    minZoom: config.minZoom,
    maxNativeZoom: config.maxNativeZoom,
    maxZoom: 30,
    bounds: config.bounds,
    gcj02: config.crs === "gcj02",
  });
  const loaded = new Set();
  let failed = 0;
  layer.on("tileload", (e) => loaded.add(`${e.coords.z}/${e.coords.x}/${e.coords.y}`));
  layer.on("tileerror", () => { failed += 1; }); // outside the tile set: nothing to draw there
  layer.on("loading", () => tiles.loadingChanged(true));
  // Told once painted: the second animation frame has the new tiles on screen.
  layer.on("load", () => requestAnimationFrame(() => requestAnimationFrame(() => tiles.loadingChanged(false))));
  const none = L.layerGroup();

  // The base-layer choice joins the page's layer control, made once the store's layers are in.
  let joined = false;
  L.Control.Layers.addInitHook(function joinLayerControl() {
    if (joined) return;
    joined = true;
    this.addBaseLayer(none, config.titles.none);
    this.addBaseLayer(layer, config.titles.tiles);
  });
  map.on("baselayerchange", (e) => tiles.shownChosen(e.layer === layer));

  const crsSwitch = L.control({ position: "bottomright" });
  crsSwitch.onAdd = () => {
    const box = L.DomUtil.create("label", "leaflet-control-layers tiles-crs-switch");
    box.style.padding = "4px 8px";
    box.title = config.titles.gcj02Tip;
    const input = L.DomUtil.create("input", "", box);
    input.type = "checkbox";
    input.checked = layer.options.gcj02;
    box.append(` ${config.titles.gcj02}`);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.on(input, "change", () => {
      layer.setGcj02(input.checked);
      tiles.crsChosen(input.checked ? "gcj02" : "wgs84");
    });
    return box;
  };
  // The switch shows while the tiles do.
  layer.on("add", () => crsSwitch.addTo(map));
  layer.on("remove", () => crsSwitch.remove());
  (config.shown ? layer : none).addTo(map);

  // For tests and tools on the Python side.
  window.gridsightTiles = {
    layer,
    loaded: () => [...loaded].sort(),
    failed: () => failed,
    wgs84ToGcj02,
    // Where tile "z/x/y" is on screen: [left, top, width, height] in container pixels, if there.
    tileBox: (key) => {
      const [z, x, y] = key.split("/");
      const tile = layer._tiles[`${x}:${y}:${z}`];
      if (!tile) return null;
      const box = tile.el.getBoundingClientRect();
      const origin = map.getContainer().getBoundingClientRect();
      return [box.left - origin.left, box.top - origin.top, box.width, box.height];
    },
  };
}

(window.gridsightExtensions ||= []).push((map, objects) => {
  if (objects.tiles) addTileBaseMap(map, objects.tiles);
});
