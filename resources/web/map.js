"use strict";
// The console's map page. Python owns the data: it pushes translated titles, then one GeoJSON
// FeatureCollection per layer, then `finish` through the QWebChannel object `bridge`; afterwards
// one batched `update` diff per tick (moved points, changed, added and removed features). This
// page only draws, and reports back what it drew and where the user clicked.

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
const RESPONDER_SHAPES = { grid_worker: "circle", police: "square", department: "diamond" };
// Priority 1 is the most urgent.
const INCIDENT_COLORS = { 1: "#ff2d2d", 2: "#ff8c1a", 3: "#ffd21f", 4: "#9ad0ff" };
const OVERDUE_RING = "#ff2d55";
const ESCALATED_RING = "#d36bff";

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
};
const POINT_PANES = { checkpoints: 440, cameras: 450, responders: 460, incidents: 470 };
for (const [name, zIndex] of Object.entries(POINT_PANES)) map.createPane(name).style.zIndex = zIndex;

let bridge = null;
let titles = {};
const overlays = []; // [title, layer] in drawing order
const drawnCounts = {};
const labelSets = []; // per labelled level: {level, overlay, labels, items, minZoom}
const pointLayers = {}; // name -> PointCloud

// Many points on one canvas of its own, drawn in one pass per style. Leaflet's circleMarkers cost
// 80-120 ms to move 20,000 (PLATFORM.md); here a move is a write into typed arrays and the next
// animation frame redraws the canvas once. Points keep their position in the arrays for life
// (Python addresses moves by it); a removed point is only hidden.
const HIDDEN = 0xffff;
const PointCloud = L.Layer.extend({
  options: { padding: 0.2 },

  initialize(styleOf, idKey, options) {
    L.setOptions(this, options);
    this._styleOf = styleOf;
    this._idKey = idKey;
    this._styles = []; // distinct styles, a point refers to one by number
    this._styleNumbers = new Map(); // JSON of a style -> its number
    this._ids = [];
    this._props = [];
    this._index = new Map(); // id -> position
    this._lng = new Float64Array(64);
    this._lat = new Float64Array(64);
    this._style = new Uint16Array(64);
    this._frame = null;
  },

  count() { return this._ids.length; },

  visibleCount() {
    let count = 0;
    for (let i = 0; i < this._ids.length; i += 1) if (this._style[i] !== HIDDEN) count += 1;
    return count;
  },

  add(features) {
    this._reserve(this._ids.length + features.length);
    for (const feature of features) {
      const i = this._ids.length;
      const [lng, lat] = feature.geometry.coordinates;
      const id = String(feature.properties[this._idKey]);
      this._ids.push(id);
      this._props.push(feature.properties);
      this._index.set(id, i);
      this._lng[i] = lng;
      this._lat[i] = lat;
      this._style[i] = this._styleNumber(feature.properties);
    }
    this.redraw();
  },

  // `index`: Int32Array of positions; `lonlat`: Float32Array of lon, lat pairs.
  move(index, lonlat) {
    for (let k = 0; k < index.length; k += 1) {
      this._lng[index[k]] = lonlat[2 * k];
      this._lat[index[k]] = lonlat[2 * k + 1];
    }
    this.redraw();
  },

  change(updates) {
    for (const update of updates) {
      const i = this._index.get(String(update[this._idKey]));
      if (i === undefined) continue;
      this._props[i] = { ...this._props[i], ...update };
      this._style[i] = this._styleNumber(this._props[i]);
    }
    this.redraw();
  },

  hide(ids) {
    for (const id of ids) {
      const i = this._index.get(String(id));
      if (i !== undefined) this._style[i] = HIDDEN;
    }
    this.redraw();
  },

  // Id of the visible point nearest to a container point, if within `maxPx` pixels.
  nearest(containerPoint, maxPx) {
    let best = null;
    let bestDistance = maxPx * maxPx;
    for (let i = 0; i < this._ids.length; i += 1) {
      if (this._style[i] === HIDDEN) continue;
      const p = this._map.latLngToContainerPoint([this._lat[i], this._lng[i]]);
      const d = (p.x - containerPoint.x) ** 2 + (p.y - containerPoint.y) ** 2;
      if (d <= bestDistance) { best = this._ids[i]; bestDistance = d; }
    }
    return best;
  },

  point(id) {
    const i = this._index.get(String(id));
    if (i === undefined || this._style[i] === HIDDEN) return null;
    return { lng: this._lng[i], lat: this._lat[i], props: this._props[i], style: this._styles[this._style[i]] };
  },

  onAdd(map) {
    this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide point-cloud");
    this.getPane().appendChild(this._canvas);
    this.redraw();
  },

  onRemove() {
    L.DomUtil.remove(this._canvas);
    this._canvas = null;
  },

  getEvents() {
    return { moveend: this.redraw, zoomend: this.redraw, resize: this.redraw, viewreset: this.redraw };
  },

  // Coalesces every change until the next animation frame into one draw.
  redraw() {
    if (this._map && this._frame === null) {
      this._frame = requestAnimationFrame(() => { this._frame = null; this._draw(); });
    }
    return this;
  },

  drawNow() { this._draw(); },

  _reserve(capacity) {
    if (capacity <= this._lng.length) return;
    const grown = Math.max(capacity, this._lng.length * 2);
    for (const key of ["_lng", "_lat", "_style"]) {
      const bigger = new this[key].constructor(grown);
      bigger.set(this[key]);
      this[key] = bigger;
    }
  },

  _styleNumber(props) {
    const style = this._styleOf(props);
    const key = JSON.stringify(style);
    let number = this._styleNumbers.get(key);
    if (number === undefined) {
      number = this._styles.length;
      this._styles.push(style);
      this._styleNumbers.set(key, number);
    }
    return number;
  },

  _draw() {
    const map = this._map;
    if (!map || !this._canvas) return;
    const size = map.getSize();
    const pad = size.multiplyBy(this.options.padding).round();
    const width = size.x + 2 * pad.x;
    const height = size.y + 2 * pad.y;
    const ratio = window.devicePixelRatio || 1;
    const canvas = this._canvas;
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([-pad.x, -pad.y]).round());
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    // Web Mercator straight from the arrays: no LatLng or Point objects for 20,000 points.
    const scale = 256 * 2 ** map.getZoom();
    const origin = map.getPixelBounds().min.subtract(pad);
    // Screen positions grouped by style in one reused typed array: no garbage per frame.
    const n = this._ids.length;
    if (!this._xy || this._xy.length < 2 * n) {
      this._xy = new Float64Array(2 * this._lng.length);
      this._order = new Uint16Array(this._lng.length);
    }
    const counts = new Int32Array(this._styles.length + 1);
    for (let i = 0; i < n; i += 1) {
      const s = this._style[i];
      let keep = s !== HIDDEN;
      if (keep) {
        const x = ((this._lng[i] + 180) / 360) * scale - origin.x;
        const sin = Math.sin((this._lat[i] * Math.PI) / 180);
        const y = (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale - origin.y;
        keep = x > -10 && x < width + 10 && y > -10 && y < height + 10;
        if (keep) { this._xy[2 * i] = x; this._xy[2 * i + 1] = y; }
      }
      this._order[i] = keep ? s : HIDDEN;
      if (keep) counts[s + 1] += 1;
    }
    for (let s = 1; s < counts.length; s += 1) counts[s] += counts[s - 1]; // start of each style's run
    const grouped = new Float64Array(2 * counts[counts.length - 1]);
    const fill = counts.slice(0, -1);
    for (let i = 0; i < n; i += 1) {
      const s = this._order[i];
      if (s === HIDDEN) continue;
      const k = 2 * fill[s];
      grouped[k] = this._xy[2 * i];
      grouped[k + 1] = this._xy[2 * i + 1];
      fill[s] += 1;
    }
    this._styles.forEach((style, s) => drawBucket(ctx, style, grouped.subarray(2 * counts[s], 2 * counts[s + 1])));
  },
});

function tracePoints(ctx, shape, r, xy) {
  ctx.beginPath();
  for (let k = 0; k < xy.length; k += 2) {
    const x = xy[k];
    const y = xy[k + 1];
    if (shape === "square") {
      ctx.rect(x - r, y - r, 2 * r, 2 * r);
    } else if (shape === "diamond") {
      ctx.moveTo(x, y - r - 1); ctx.lineTo(x + r + 1, y); ctx.lineTo(x, y + r + 1); ctx.lineTo(x - r - 1, y);
      ctx.closePath();
    } else {
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
  }
}

function drawBucket(ctx, style, xy) {
  if (!xy.length) return;
  if (style.ring) {
    ctx.globalAlpha = 1;
    tracePoints(ctx, "circle", style.radius + 4, xy);
    ctx.strokeStyle = style.ring;
    ctx.lineWidth = 2.5;
    ctx.stroke();
  }
  tracePoints(ctx, style.shape, style.radius, xy);
  ctx.globalAlpha = style.fillOpacity;
  ctx.fillStyle = style.fill;
  ctx.fill();
  ctx.globalAlpha = 1;
  if (style.weight) {
    ctx.strokeStyle = style.stroke;
    ctx.lineWidth = style.weight;
    ctx.stroke();
  }
}

function roadStyle(feature) {
  return ROAD_STYLES[feature.properties.road_class] || ROAD_STYLES.local;
}

// Responders: shape by kind, colour by kind; busy ones get a white outline, off-duty ones fade.
function responderStyle(p) {
  const busy = p.status === "busy";
  return {
    shape: RESPONDER_SHAPES[p.kind] || "circle", radius: 4, fill: RESPONDER_COLORS[p.kind] || "#ffffff",
    fillOpacity: p.status === "off" ? 0.35 : 0.95, stroke: busy ? "#ffffff" : "#101418", weight: busy ? 1.5 : 1,
  };
}

function cameraStyle(p) {
  return {
    shape: "circle", radius: 2.5, fill: CAMERA_COLORS[p.camera_class] || "#ffffff",
    fillOpacity: p.status === "offline" ? 0.35 : 0.9, weight: 0,
  };
}

function checkpointStyle() {
  return { shape: "circle", radius: 6, fill: "#e040fb", fillOpacity: 1, stroke: "#ffffff", weight: 2 };
}

// Incidents: colour by priority; a ring when overdue (red) or escalated (violet). Once someone is
// on it (dispatched, accepted, on site, with a department) the dot is hollow: it needs no dispatcher.
const IN_HAND_STATES = new Set(["dispatched", "accepted", "on_site", "transferred"]);
function incidentStyle(p) {
  let ring = null;
  if (p.overdue) ring = OVERDUE_RING;
  else if (p.escalated) ring = ESCALATED_RING;
  const colour = INCIDENT_COLORS[p.priority] || "#ffffff";
  const inHand = IN_HAND_STATES.has(p.state);
  return {
    shape: "circle", radius: 7.5, fill: colour, fillOpacity: inHand ? 0.25 : 1,
    stroke: inHand ? colour : "#ffffff", weight: inHand ? 2.5 : 2, ring,
  };
}

const POINT_STYLES = {
  checkpoints: [checkpointStyle, "checkpoint_id"],
  cameras: [cameraStyle, "camera_id"],
  responders: [responderStyle, "responder_id"],
  incidents: [incidentStyle, "ticket_id"],
};

function pointLayer(name, data) {
  const [styleOf, idKey] = POINT_STYLES[name];
  const layer = new PointCloud(styleOf, idKey, { pane: name });
  layer.add(data.features);
  pointLayers[name] = layer;
  return layer;
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
};
for (const name of Object.keys(POINT_STYLES)) BUILDERS[name] = (data) => pointLayer(name, data);

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
  drawnCounts[name] = layer instanceof PointCloud ? layer.count() : layer.getLayers().length;
}

// The selected incident: a halo around it and the recommended routes (best first, bold).
const selection = L.layerGroup();
const SELECTION_MAX_ZOOM = 16;
map.createPane("selection").style.zIndex = 465;
map.createPane("selectionLabels").style.zIndex = 466;
function onSelect(json) {
  const { incident, routes } = JSON.parse(json);
  selection.clearLayers();
  // Painted on the second animation frame: then Python may take a screenshot.
  requestAnimationFrame(() => requestAnimationFrame(() => bridge.selectionDrawn()));
  if (!incident) return;
  routes.forEach((line, rank) => {
    selection.addLayer(L.polyline(line, {
      pane: "selection", interactive: false, color: rank === 0 ? "#34e2ff" : "#8fb8c8",
      weight: rank === 0 ? 5 : 2.5, opacity: rank === 0 ? 0.95 : 0.7, dashArray: rank === 0 ? null : "6 5",
    }));
    // The responder's end of the route, numbered as the key that assigns them.
    selection.addLayer(L.tooltip({
      permanent: true, direction: "center", interactive: false, className: "route-rank", pane: "selectionLabels",
    }).setLatLng(line[0]).setContent(String(rank + 1)));
  });
  selection.addLayer(L.circleMarker(incident, {
    pane: "selection", interactive: false, radius: 15, color: "#34e2ff", weight: 3, fill: false,
  }));
  if (!selection._map) selection.addTo(map);
  if (routes.length) {
    // Close enough to read the streets the responders will take.
    const box = L.latLngBounds([incident, ...routes.flat()]);
    map.fitBounds(box, { padding: [60, 60], maxZoom: SELECTION_MAX_ZOOM, animate: false });
  } else {
    map.panInside(incident, { padding: [80, 80], animate: false });
  }
}

// What a click hit: an incident or responder near the pointer, else the place.
const CLICKABLE = ["incidents", "responders", "cameras"];
function onClick(e) {
  for (const name of CLICKABLE) {
    const layer = pointLayers[name];
    const id = layer && map.hasLayer(layer) ? layer.nearest(e.containerPoint, 8) : null;
    if (id !== null) {
      bridge.featureClicked(name, id);
      return;
    }
  }
  bridge.mapClicked(e.latlng.lng, e.latlng.lat);
}

function decode(base64, ArrayType) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return new ArrayType(bytes.buffer);
}

// One tick's diff from Python: {moved: {layer: {index, lonlat}}, changed, added, removed}.
function onUpdate(json) {
  const diff = JSON.parse(json);
  for (const [name, features] of Object.entries(diff.added || {})) pointLayers[name]?.add(features);
  for (const [name, updates] of Object.entries(diff.changed || {})) pointLayers[name]?.change(updates);
  for (const [name, ids] of Object.entries(diff.removed || {})) pointLayers[name]?.hide(ids);
  for (const [name, moves] of Object.entries(diff.moved || {})) {
    pointLayers[name]?.move(decode(moves.index, Int32Array), decode(moves.lonlat, Float32Array));
  }
}

// All layers are in: add them in drawing order, fit the territory, and report once painted.
let territory = null;
function showTerritory() {
  map.fitBounds(territory, { animate: false, padding: [12, 12] });
}

function onFinish(boundsJson) {
  territory = JSON.parse(boundsJson);
  showTerritory();
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

// How late the page's timers fire: a busy JavaScript thread delays them. Started by tools (the
// live-map benchmark); `stopStallProbe` reports every lateness in ms through the channel.
let stallProbe = null;
function startStallProbe(intervalMs) {
  const lateness = [];
  let expected = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    lateness.push(Math.max(0, now - expected));
    expected = now + intervalMs;
  }, intervalMs);
  stallProbe = { timer, lateness };
}
function stopStallProbe() {
  if (!stallProbe) return;
  clearInterval(stallProbe.timer);
  bridge.stallReport(JSON.stringify(stallProbe.lateness));
  stallProbe = null;
}

// For tests and tools on the Python side (QWebEnginePage.runJavaScript).
window.gridsightMap = {
  map,
  featureCounts: () => ({ ...drawnCounts }),
  visiblePointCounts: () => Object.fromEntries(Object.entries(pointLayers).map(([n, l]) => [n, l.visibleCount()])),
  point: (layer, id) => pointLayers[layer]?.point(id) ?? null,
  selectionShapes: () => selection.getLayers().length,
  pointLayers,
  startStallProbe,
  showTerritory,
  stopStallProbe,
  overlayTitles: () => overlays.map(([title]) => title),
  visibleOverlayTitles: () => overlays.filter(([, layer]) => map.hasLayer(layer)).map(([title]) => title),
};

new QWebChannel(qt.webChannelTransport, (channel) => {
  bridge = channel.objects.bridge;
  bridge.configure.connect((json) => { titles = JSON.parse(json); });
  bridge.layerData.connect(onLayerData);
  bridge.finish.connect(onFinish);
  bridge.update.connect(onUpdate);
  bridge.select.connect(onSelect);
  map.on("click", onClick);
  bridge.pageReady();
});
