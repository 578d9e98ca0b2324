"use strict";
// The console's map page. Python owns the data: it pushes translated titles, then one GeoJSON
// FeatureCollection per layer, then `finish` through the QWebChannel object `bridge`. This page
// only draws, and reports back what it drew and where the user clicked.

const ROAD_STYLES = {
  expressway: { color: "#f0a04b", weight: 5 },
  arterial: { color: "#e3c76a", weight: 3 },
  collector: { color: "#b9bec4", weight: 2 },
  local: { color: "#7d848b", weight: 1 },
  village: { color: "#8c8370", weight: 1.2, dashArray: "4 3" },
};
const GRID_STYLES = {
  1: { color: "#7fd3ff", weight: 3, opacity: 0.95 },
  2: { color: "#4b9cc4", weight: 1.6, opacity: 0.85 },
  3: { color: "#4d6b7d", weight: 0.7, opacity: 0.8 },
};
const RESPONDER_COLORS = { grid_worker: "#3ddc84", police: "#4c8dff", department: "#ffb020" };
const CAMERA_COLORS = { A: "#ff5a5a", B: "#ff9f43", rural: "#d4e157", private: "#a0a4a8" };

// Grid labels: font size per level (as in map.css), and how wide a typical grid of the level must
// be on screen before its labels show (level 1 always).
const LABEL_FONT_PX = { 1: 15, 2: 12 };
const LABEL_MIN_GRID_WIDTH_PX = { 1: 0, 2: 110 };

// No fading: labels appear and go at once, so every painted frame is complete.
const map = L.map("map", { zoomSnap: 0.25, attributionControl: false, fadeAnimation: false });
L.control.scale({ imperial: false }).addTo(map);

// One pane (and one canvas) per kind of layer, so toggling a layer keeps the drawing order.
function pane(name, zIndex) {
  map.createPane(name).style.zIndex = zIndex;
  return L.canvas({ pane: name, padding: 0.3 });
}
const renderers = {
  water: pane("water", 310),
  roads: pane("roads", 320),
  grids: pane("grids", 330),
  checkpoints: pane("checkpoints", 440),
  cameras: pane("cameras", 450),
  responders: pane("responders", 460),
};

let bridge = null;
let titles = {};
const overlays = []; // [title, layer] in drawing order
const drawnCounts = {};
const labelSets = []; // per labelled level: {level, overlay, labels, items, minZoom}

function roadStyle(feature) {
  return ROAD_STYLES[feature.properties.road_class] || ROAD_STYLES.local;
}

function pointLayer(data, renderer, styleOf) {
  return L.geoJSON(data, {
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, { renderer, ...styleOf(feature.properties) }),
  });
}

function responderStyle(p) {
  const off = p.status === "off";
  return {
    radius: 4, color: "#101418", weight: 1,
    fillColor: RESPONDER_COLORS[p.kind] || "#ffffff", fillOpacity: off ? 0.35 : 0.95,
  };
}

function cameraStyle(p) {
  return {
    radius: 2.5, stroke: false,
    fillColor: CAMERA_COLORS[p.camera_class] || "#ffffff", fillOpacity: p.status === "offline" ? 0.35 : 0.9,
  };
}

function checkpointStyle() {
  return { radius: 6, color: "#ffffff", weight: 2, fillColor: "#e040fb", fillOpacity: 1 };
}

// Zoom at which a box `widthDeg` degrees wide spans `px` pixels (Web Mercator, 256 px tiles).
function zoomForWidth(widthDeg, px) {
  return px > 0 ? Math.log2((px * 360) / (256 * widthDeg)) : -Infinity;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function labelItems(features, level) {
  return features
    .map((f) => {
      const p = f.properties;
      const latlng = L.latLng(p.label_lat, p.label_lon);
      const tooltip = L.tooltip({
        permanent: true, direction: "center", interactive: false, className: `grid-label level-${level}`,
      }).setLatLng(latlng).setContent(p.name);
      return { latlng, text: p.name, width: p.width_deg, tooltip };
    })
    .sort((a, b) => b.width - a.width); // bigger grids win a contested spot
}

// Screen box a label would take (CJK glyphs are about one font size wide).
function labelBox(item, fontPx) {
  const { x, y } = map.latLngToContainerPoint(item.latlng);
  const halfW = (item.text.length * (fontPx + 1)) / 2 + 2;
  const halfH = fontPx * 0.7;
  return [x - halfW, y - halfH, x + halfW, y + halfH];
}

function overlaps(a, b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

// Show the labels that fit: level 1 always, deeper levels once zoomed in, never on top of another.
function placeLabels() {
  const placed = [];
  const view = map.getBounds().pad(0.1);
  const zoom = map.getZoom();
  for (const set of labelSets) {
    const active = map.hasLayer(set.overlay) && zoom >= set.minZoom;
    for (const item of set.items) {
      let show = active && view.contains(item.latlng);
      if (show) {
        const box = labelBox(item, LABEL_FONT_PX[set.level]);
        show = set.level === 1 || !placed.some((other) => overlaps(other, box));
        if (show) placed.push(box);
      }
      if (show !== set.labels.hasLayer(item.tooltip)) {
        if (show) set.labels.addLayer(item.tooltip);
        else set.labels.removeLayer(item.tooltip);
      }
    }
  }
}

// Grids: one overlay per level, each with its labels.
function addGrids(data) {
  const byLevel = {};
  for (const feature of data.features) {
    (byLevel[feature.properties.level] ||= []).push(feature);
  }
  for (const level of Object.keys(byLevel).map(Number).sort((a, b) => a - b)) {
    const features = byLevel[level];
    const shapes = L.geoJSON({ type: "FeatureCollection", features }, {
      renderer: renderers.grids, interactive: false,
      style: { ...(GRID_STYLES[level] || GRID_STYLES[3]), fill: false },
    });
    const overlay = L.layerGroup([shapes]);
    if (level in LABEL_FONT_PX) {
      const labels = L.layerGroup();
      overlay.addLayer(labels);
      labelSets.push({
        level, overlay, labels, items: labelItems(features, level),
        minZoom: zoomForWidth(median(features.map((f) => f.properties.width_deg)), LABEL_MIN_GRID_WIDTH_PX[level]),
      });
    }
    const title = titles.gridLevels[level] || titles.gridLevelOther.replace("{level}", level);
    overlays.push([title, overlay]);
  }
  drawnCounts.grids = data.features.length;
}

const BUILDERS = {
  water: (data) => L.geoJSON(data, {
    renderer: renderers.water, interactive: false,
    style: { color: "#2f6f9f", weight: 1, fillColor: "#1d4c70", fillOpacity: 0.95 },
  }),
  roads: (data) => L.geoJSON(data, { renderer: renderers.roads, interactive: false, style: roadStyle }),
  checkpoints: (data) => pointLayer(data, renderers.checkpoints, checkpointStyle),
  cameras: (data) => pointLayer(data, renderers.cameras, cameraStyle),
  responders: (data) => pointLayer(data, renderers.responders, responderStyle),
};

function onLayerData(name, geojson) {
  const data = JSON.parse(geojson);
  if (name === "grids") {
    addGrids(data);
    return;
  }
  const build = BUILDERS[name];
  if (!build) {
    console.error(`unknown layer ${name}`);
    return;
  }
  const layer = build(data);
  overlays.push([titles[name] || name, layer]);
  drawnCounts[name] = layer.getLayers().length;
}

// All layers are in: add them in drawing order, fit the territory, and report once painted.
function onFinish(boundsJson) {
  map.fitBounds(JSON.parse(boundsJson), { animate: false, padding: [12, 12] });
  const control = L.control.layers(null, null, { collapsed: false, position: "topright" });
  for (const [title, layer] of overlays) {
    layer.addTo(map);
    control.addOverlay(layer, title);
  }
  control.addTo(map);
  placeLabels();
  map.on("moveend overlayadd overlayremove", placeLabels);
  // Canvas layers repaint on the next animation frame; the second frame has them on screen.
  requestAnimationFrame(() => requestAnimationFrame(() => bridge.layersDrawn(JSON.stringify(drawnCounts))));
}

// For tests and tools on the Python side (QWebEnginePage.runJavaScript).
window.gridsightMap = {
  map,
  featureCounts: () => ({ ...drawnCounts }),
  overlayTitles: () => overlays.map(([title]) => title),
  visibleOverlayTitles: () => overlays.filter(([, layer]) => map.hasLayer(layer)).map(([title]) => title),
};

new QWebChannel(qt.webChannelTransport, (channel) => {
  bridge = channel.objects.bridge;
  bridge.configure.connect((json) => { titles = JSON.parse(json); });
  bridge.layerData.connect(onLayerData);
  bridge.finish.connect(onFinish);
  map.on("click", (e) => bridge.mapClicked(e.latlng.lng, e.latlng.lat));
  bridge.pageReady();
});
