"use strict";
// The console's map page. Python owns the data: it pushes translated titles, then one GeoJSON
// FeatureCollection per layer, then `finish` through the QWebChannel object `bridge`; afterwards
// one batched `update` diff per tick (moved points, changed, added and removed features). This
// page only draws, and reports back what it drew and where the user clicked. Python's other
// commands (grid fill, heat, highlight, flash, focus, extra overlays) arrive through `call`.

// dispatch | wall | editor: map.css and extension scripts style and behave by the body's class.
const MODE = new URLSearchParams(window.location.search).get("mode") || "dispatch";
document.body.classList.add(`mode-${MODE}`);

// Minor roads only from a zoom on: over a whole city they are noise (and most of the drawing).
const ROAD_STYLES = {
  expressway: { color: "#f0a04b", weight: 5 },
  arterial: { color: "#e3c76a", weight: 3 },
  collector: { color: "#b9bec4", weight: 2, minZoom: 11 },
  local: { color: "#7d848b", weight: 1, minZoom: 12.5 },
  village: { color: "#8c8370", weight: 1.2, dashArray: "4 3", minZoom: 12 },
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
const HIGHLIGHT_RING = "#34e2ff";
const FLASH_RING = "#ffffff";
const FLASH_HALF_PERIOD_MS = 400; // on, off: 1.25 blinks a second, redrawn only then
const PATROL_ROUTE_STYLE = { color: "#c792ff", weight: 2.5, opacity: 0.9, dashArray: "8 6" };
// Cameras gather into counted clusters below this zoom (a township fills the screen at about 14).
const CAMERA_CLUSTER_BELOW_ZOOM = 15;
const CLUSTER_CELL_PX = 56;
const COMPACT_POINTS_BELOW_ZOOM = 14;
const COMPACT_MIN_POINTS = 3000;
// Shapes draw in parts of this many vertices (each stroked and filled, then flushed), as many
// parts a frame as fit in SHAPE_FRAME_MS: a part's cost is mostly the rasteriser's, which the
// vertices do not foretell (a coverage band's fill spans the city), the clock does. Measured on
// the city's roads and grids: 1000-vertex parts rasterise in under 6 ms each, 5000 in up to 15, and
// the whole drawing costs the same either way.
const SHAPE_PART_VERTICES = 1000;
// A fill also counts the screen area of its feature's box, as one vertex per this many pixels:
// blending a translucent fill over the whole view costs the rasteriser ~8 ms, as much as a
// part's vertices; so big fills go in parts of their own.
const FILL_PX_PER_VERTEX = 1500;
const SHAPE_FRAME_MS = 8;
const SHAPE_PADDING = 0.1; // of the view's size on each side, drawn ahead for panning
const SMALL_POINTS_BELOW_ZOOM = 12;
const SMALL_POINTS_SCALE = 0.6;
const CLUSTER_STROKE = "#9aa5b1";
// Sequential ramp for grid fills: dim to bright, readable over the dark map and under its lines.
const FILL_RAMP = ["#41306b", "#7b2f8e", "#c0407a", "#f0744f", "#fcc25a"];
const FILL_OPACITY = 0.55;
const FOCUS_MIN_ZOOM = 16;
const LAYER_CONTROL_OPEN_MIN_PX = { width: 900, height: 640 };
// Street level: the grid fill fades so that streets and points stay readable under it.
const FILL_FADE_FROM_ZOOM = 15;
const FADED_FILL = 0.55;
const FOCUS_PIN_MS = 8000;

// Grid labels: the look per level, and how wide a typical grid of the level must be on screen
// before its labels show (level 1 always). Text with a dark halo, readable on any line or fill.
const LABEL_STYLES = {
  1: { fontPx: 15, bold: true, spacing: "1px", color: MODE === "wall" ? "#ffffff" : "#e8f6ff" },
  2: { fontPx: 12, bold: false, spacing: "0px", color: "#b8dcef" },
  3: { fontPx: 11, bold: false, spacing: "0px", color: "#93b4c6" },
};
const LABEL_FONT_FAMILY = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
const LABEL_HALO = { color: "#101418", width: MODE === "wall" ? 4 : 3 };
const LABEL_MIN_GRID_WIDTH_PX = { 1: 0, 2: 110, 3: 110 };
const LABEL_VERTICES = 20; // what a label counts for in a shape part's budget (SHAPE_PART_VERTICES)

// Outlines of a deeper grid level show once its typical grid is this wide on screen.
const GRID_OUTLINE_MIN_WIDTH_PX = 24;

// No fading: labels appear and go at once, so every painted frame is complete.
const map = L.map("map", { zoomSnap: 0.25, attributionControl: false, fadeAnimation: false });
L.control.scale({ imperial: false }).addTo(map);

// Drawing order of the vector layers, all drawn into the one shapeCanvas (a pane's z-index: the
// canvas sits in the lowest), and of the point layers, composed into the one pointCanvas.
const PANES = { water: 310, gridFill: 315, roads: 320, grids: 330, patrolRoutes: 335, extras: 340, gridLabels: 345 };
for (const [name, zIndex] of Object.entries(PANES)) map.createPane(name).style.zIndex = zIndex;
const POINT_ORDER = { checkpoints: 0, cameras: 1, responders: 2, incidents: 3 };
const POINTS_Z_INDEX = 460; // under the selection's routes and labels
// A frame draws more point steps only while it is younger than this (16.7 ms at 60 Hz); a step
// draws this many points or clusters of one style (~2-5 ms for 500 incidents with rings).
const POINT_FRAME_MS = 10;
const POINT_STEP = 500;
// Points projected to the screen per step of a point layer's drawing (~2 ms).
const PROJECT_STEP = 10000;

// Whether a drawer (pointCanvas, shapeCanvas) should leave this animation frame to the other and
// draw in the next: the frame is already older than its `budgetMs` (the other drew first). Never
// twice in a row, so that each draws at least every other frame.
function frameTaken(drawer, frameStart, budgetMs) {
  const taken = !drawer.waited && performance.now() - frameStart > budgetMs;
  drawer.waited = taken;
  return taken;
}

let bridge = null;
let titles = {};
let layerControl = null;
const overlays = []; // [title, layer] of the store's layers, in drawing order
const extraOverlays = new Map(); // name -> [title, layer]: fill, heat and show_overlay's layers
const drawnCounts = {};
const gridLabels = []; // GridLabels per labelled level
const pointLayers = {}; // name -> PointCloud

// Many points on one canvas of its own, drawn in one pass per style. Leaflet's circleMarkers cost
// 80-120 ms to move 20,000 (PLATFORM.md); here a move is a write into typed arrays and the next
// animation frame redraws the canvas once. Points keep their position in the arrays for life
// (Python addresses moves by it); a removed point is only hidden. The points' canvas is off the
// page: pointCanvas composes every layer's into the one it shows. Highlight rings and blinking
// halos are few: pointCanvas draws every layer's straight into a second shown canvas, alone at
// the blink rate. With `clusterBelowZoom`, points gather into counted clusters of screen cells
// when zoomed out; the cells are computed once per zoom level in world pixels, so that panning
// reuses them.
// A canvas's 2D context. Chromium records canvas drawing and rasterises it when the frame is
// painted, so a time box around drawing would see only the recording; `flush` rasterises what
// is recorded now (reading a pixel back does), so that the clock sees the real cost and a frame
// stops drawing in time. The contexts are CPU-backed for that (willReadFrequently): with
// software rendering they are anyway.
function context2d(canvas) {
  return canvas.getContext("2d", { willReadFrequently: true });
}

function flush(ctx) {
  ctx.getImageData(0, 0, 1, 1);
}

// Keeps a canvas drawn for an earlier view where its drawing belongs on the map now (`view`: the
// zoom it was drawn at and its top-left in world pixels there), scaled when the zoom has changed,
// as map tiles are while new ones load, until the next drawing replaces it (fitCanvas).
function keepInPlace(canvas, view) {
  if (!view) return;
  const scale = map.getZoomScale(map.getZoom(), view.zoom);
  const origin = map.getPixelOrigin();
  L.DomUtil.setTransform(canvas, L.point(view.ox * scale - origin.x, view.oy * scale - origin.y), scale);
}

// Places a canvas at `offset` (layer pixels), sized to width x height CSS pixels at `ratio` device
// pixels each, and returns its context cleared and scaled to CSS pixels.
function fitCanvas(canvas, offset, width, height, ratio) {
  L.DomUtil.setPosition(canvas, offset);
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = context2d(canvas);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

const HIDDEN = 0xffff;
const PointCloud = L.Layer.extend({
  options: { padding: 0.1, clusterBelowZoom: null, order: 0 },

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
    this._dirty = false; // the points need drawing anew (then the marks too)
    this._steps = []; // what is left of the drawing under way (see _begin)
    this._moved = new Int32Array(0); // positions of the last move
    this._highlighted = []; // positions
    this._flashing = new Map(); // position -> time (performance.now) the blinking ends
    this._flashOn = true;
    this._clusters = new Map(); // zoom -> {zoom, x, y, count, singles} in world pixels, until points change
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
    this._pointsChanged();
  },

  // `index`: Int32Array of positions (null: the last move's); `lonlat`: Float32Array of lon, lat pairs.
  move(index, lonlat) {
    if (index) this._moved = index;
    else index = this._moved;
    for (let k = 0; k < index.length; k += 1) {
      this._lng[index[k]] = lonlat[2 * k];
      this._lat[index[k]] = lonlat[2 * k + 1];
    }
    this._pointsChanged();
  },

  change(updates) {
    for (const update of updates) {
      const i = this._index.get(String(update[this._idKey]));
      if (i === undefined) continue;
      this._props[i] = { ...this._props[i], ...update };
      this._style[i] = this._styleNumber(this._props[i]);
    }
    this._pointsChanged();
  },

  hide(ids) {
    for (const id of ids) {
      const i = this._index.get(String(id));
      if (i !== undefined) this._style[i] = HIDDEN;
    }
    this._pointsChanged();
  },

  // Ring these points (ids), instead of the ones ringed before.
  setHighlight(ids) {
    this._highlighted = this._positions(ids);
    this._marksChanged();
  },

  highlighted() { return this._highlighted.filter((i) => this._style[i] !== HIDDEN).map((i) => this._ids[i]); },

  // Blink these points for `seconds` (a point already blinking blinks until the later end).
  flash(ids, seconds) {
    const until = performance.now() + seconds * 1000;
    for (const i of this._positions(ids)) this._flashing.set(i, Math.max(until, this._flashing.get(i) || 0));
    if (this._flashing.size) blinker.start();
    this._marksChanged();
  },

  flashing() { return [...this._flashing.keys()].map((i) => this._ids[i]); },

  // One blink step: flip the halos, forget the points whose time is up. False once none blink.
  blink(now) {
    for (const [i, until] of this._flashing) if (until <= now) this._flashing.delete(i);
    this._flashOn = !this._flashOn;
    this._marksChanged();
    return this._flashing.size > 0;
  },

  clustered() {
    const threshold = this.options.clusterBelowZoom;
    return Boolean(this._map) && threshold !== null && this._map.getZoom() < threshold;
  },

  // What is drawn when clustered: groups [{count, lng, lat}] of more than one point, and how
  // many points are alone in their cell (drawn as themselves).
  clusters() {
    if (!this.clustered()) return { groups: [], singles: 0 };
    const c = this._clusterCells(this._map.getZoom());
    const scale = 256 * 2 ** c.zoom;
    const groups = Array.from(c.count, (count, k) => {
      const lng = (c.x[k] / scale) * 360 - 180;
      const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * c.y[k]) / scale))) * 180) / Math.PI;
      return { count, lng, lat };
    });
    return { groups, singles: c.singles.length };
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

  onAdd() {
    this._canvas = document.createElement("canvas");
    pointCanvas.add(this);
    this.redraw();
  },

  onRemove() {
    pointCanvas.remove(this);
    this._canvas = null;
    this._steps = [];
  },

  getEvents() {
    return { moveend: this.redraw, zoomend: this.redraw, resize: this.redraw, viewreset: this.redraw };
  },

  // Coalesces every change until the next animation frame into one draw (by pointCanvas).
  redraw() {
    this._dirty = true;
    if (this._map) pointCanvas.schedule();
    return this;
  },

  _marksChanged() {
    if (!this._map) return;
    pointCanvas.marksChanged = true;
    pointCanvas.schedule();
  },

  _pointsChanged() {
    if (this.options.clusterBelowZoom !== null) this._clusters.clear();
    this.redraw();
  },

  _positions(ids) {
    return ids.map((id) => this._index.get(String(id))).filter((i) => i !== undefined);
  },

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

  // Fits a canvas to the view the points were last drawn in (plus padding), cleared.
  _prepare(canvas) {
    const { width, height, ratio, offset } = this._view;
    return fitCanvas(canvas, offset, width, height, ratio);
  },

  // Starts drawing anew: the view, the cleared canvas, and the steps that draw it (a few hundred
  // points each), which pointCanvas runs as its frames allow.
  _begin() {
    const map = this._map;
    this._dirty = false;
    if (!map || !this._canvas) return;
    const size = map.getSize();
    const pad = size.multiplyBy(this.options.padding).round();
    const zoom = map.getZoom();
    const origin = map.getPixelBounds().min.subtract(pad);
    this._view = {
      width: size.x + 2 * pad.x, height: size.y + 2 * pad.y, ratio: window.devicePixelRatio || 1,
      offset: map.containerPointToLayerPoint([-pad.x, -pad.y]).round(), zoom, scale: 256 * 2 ** zoom,
      ox: origin.x, oy: origin.y,
    };
    const ctx = this._prepare(this._canvas);
    this._steps = this.clustered() ? this._clusterSteps(ctx) : this._pointSteps(ctx, null);
  },

  // Runs the next step of the drawing and rasterises it (see `flush`), so that pointCanvas's clock sees it.
  _step() {
    this._steps.shift()();
    flush(context2d(this._canvas));
  },

  // Screen position of point i in the last drawn view (Web Mercator straight from the arrays).
  _project(i, out, k) {
    const v = this._view;
    const sin = Math.sin((this._lat[i] * Math.PI) / 180);
    out[k] = ((this._lng[i] + 180) / 360) * v.scale - v.ox;
    out[k + 1] = (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * v.scale - v.oy;
  },

  _drawPoints(ctx, subset) {
    const steps = this._pointSteps(ctx, subset);
    while (steps.length) steps.shift()();
  },

  // The steps drawing the visible points (or only those in `subset`, positions): first the points
  // are projected, PROJECT_STEP at a time (the city's 37,000 responders in one go took up to 20 ms),
  // then grouped by style, and the steps drawing them POINT_STEP at a time, one pass per style,
  // take the place of the last step.
  _pointSteps(ctx, subset) {
    const n = subset ? subset.length : this._ids.length;
    if (!this._xy || this._xy.length < 2 * this._lng.length) {
      this._xy = new Float64Array(2 * this._lng.length);
      this._order = new Uint16Array(this._lng.length);
    }
    const counts = new Int32Array(this._styles.length + 1);
    const steps = [];
    for (let from = 0; from < n; from += PROJECT_STEP) {
      steps.push(() => this._projectRange(subset, from, Math.min(from + PROJECT_STEP, n), counts));
    }
    steps.push(() => steps.unshift(...this._drawSteps(ctx, subset, counts)));
    return steps;
  },

  // Screen positions of points from..to (of `subset`, if given); which of them show, counted by style.
  _projectRange(subset, from, to, counts) {
    const { width, height } = this._view;
    for (let k = from; k < to; k += 1) {
      const i = subset ? subset[k] : k;
      const s = this._style[i];
      let keep = s !== HIDDEN;
      if (keep) {
        this._project(i, this._xy, 2 * k);
        const x = this._xy[2 * k];
        const y = this._xy[2 * k + 1];
        keep = x > -10 && x < width + 10 && y > -10 && y < height + 10;
      }
      this._order[k] = keep ? s : HIDDEN;
      if (keep) counts[s + 1] += 1;
    }
  },

  // Once the points are projected: the visible ones grouped by style, and the steps drawing them.
  _drawSteps(ctx, subset, counts) {
    const n = subset ? subset.length : this._ids.length;
    for (let s = 1; s < counts.length; s += 1) counts[s] += counts[s - 1]; // start of each style's run
    // Reused, like _xy: a new array per tick was a few hundred KB of garbage (see decode).
    if (!this._grouped || this._grouped.length < 2 * counts[counts.length - 1]) this._grouped = new Float64Array(2 * this._lng.length);
    const grouped = this._grouped;
    const fill = counts.slice(0, -1);
    for (let k = 0; k < n; k += 1) {
      const s = this._order[k];
      if (s === HIDDEN) continue;
      const j = 2 * fill[s];
      grouped[j] = this._xy[2 * k];
      grouped[j + 1] = this._xy[2 * k + 1];
      fill[s] += 1;
    }
    // Zoomed out over thousands of points, a shape is not readable anyway: each point becomes a
    // small square of pixels written straight into the canvas, where filling 37,000 paths costs
    // the (software) rasteriser ~60 ms a frame.
    const total = counts[counts.length - 1];
    if (!subset && this._view.zoom < COMPACT_POINTS_BELOW_ZOOM && total >= COMPACT_MIN_POINTS) {
      return [() => this._drawPixels(ctx, grouped, counts)];
    }
    // Smaller over a whole city: less overlap, and a quarter of the pixels to rasterise.
    const size = this._view.zoom < SMALL_POINTS_BELOW_ZOOM ? SMALL_POINTS_SCALE : 1;
    const steps = [];
    this._styles.forEach((style, s) => {
      for (let k = counts[s]; k < counts[s + 1]; k += POINT_STEP) {
        const xy = grouped.subarray(2 * k, 2 * Math.min(k + POINT_STEP, counts[s + 1]));
        steps.push(() => drawBucket(ctx, style, xy, size));
      }
    });
    return steps;
  },

  _drawPixels(ctx, grouped, counts) {
    const { ratio } = this._view;
    const w = ctx.canvas.width;
    const h = ctx.canvas.height;
    if (!this._pixels || this._pixels.width !== w || this._pixels.height !== h) this._pixels = ctx.createImageData(w, h);
    const pixels = new Uint32Array(this._pixels.data.buffer);
    pixels.fill(0);
    const half = Math.max(1, Math.round(ratio)); // a 3 x 3 square at ratio 1
    this._styles.forEach((style, s) => {
      const colour = packedColour(style.fill, style.fillOpacity);
      for (let k = 2 * counts[s]; k < 2 * counts[s + 1]; k += 2) {
        const cx = Math.round(grouped[k] * ratio);
        const cy = Math.round(grouped[k + 1] * ratio);
        for (let y = Math.max(0, cy - half); y <= Math.min(h - 1, cy + half); y += 1) {
          const row = y * w;
          for (let x = Math.max(0, cx - half); x <= Math.min(w - 1, cx + half); x += 1) pixels[row + x] = colour;
        }
      }
    });
    ctx.putImageData(this._pixels, 0, 0);
  },

  // Cells of CLUSTER_CELL_PX world pixels at `zoom`: clusters (mean position, count) of the cells
  // with several visible points, and the positions of the points alone in their cell.
  _clusterCells(zoom) {
    const cached = this._clusters.get(zoom);
    if (cached) return cached;
    const scale = 256 * 2 ** zoom;
    const cells = new Map(); // cell key -> [sum x, sum y, count, first position]
    for (let i = 0; i < this._ids.length; i += 1) {
      if (this._style[i] === HIDDEN) continue;
      const sin = Math.sin((this._lat[i] * Math.PI) / 180);
      const x = ((this._lng[i] + 180) / 360) * scale;
      const y = (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale;
      const key = Math.floor(x / CLUSTER_CELL_PX) * 1e7 + Math.floor(y / CLUSTER_CELL_PX);
      const cell = cells.get(key);
      if (cell) { cell[0] += x; cell[1] += y; cell[2] += 1; } else cells.set(key, [x, y, 1, i]);
    }
    const groups = [...cells.values()].filter((c) => c[2] > 1);
    const clusters = {
      zoom,
      x: Float64Array.from(groups, (c) => c[0] / c[2]),
      y: Float64Array.from(groups, (c) => c[1] / c[2]),
      count: Int32Array.from(groups, (c) => c[2]),
      singles: Int32Array.from([...cells.values()].filter((c) => c[2] === 1), (c) => c[3]),
    };
    this._clusters.set(zoom, clusters);
    return clusters;
  },

  _clusterSteps(ctx) {
    const c = this._clusterCells(this._view.zoom);
    const steps = this._pointSteps(ctx, c.singles);
    for (let k = 0; k < c.count.length; k += POINT_STEP) {
      steps.push(() => this._drawClusters(ctx, c, k, Math.min(k + POINT_STEP, c.count.length)));
    }
    return steps;
  },

  // Clusters `from` to `to` of `c` as square-cornered grey badges: unlike any incident or responder symbol.
  _drawClusters(ctx, c, from, to) {
    const { width, height, ox, oy } = this._view;
    const boxes = [];
    ctx.beginPath();
    for (let k = from; k < to; k += 1) {
      const x = c.x[k] - ox;
      const y = c.y[k] - oy;
      if (x < -30 || x > width + 30 || y < -30 || y > height + 30) continue;
      const label = String(c.count[k]);
      const halfW = 5 + 3.2 * label.length;
      ctx.roundRect(x - halfW, y - 7.5, 2 * halfW, 15, 3);
      boxes.push([x, y, label]);
    }
    ctx.fillStyle = "rgba(22, 26, 31, 0.9)";
    ctx.fill();
    ctx.strokeStyle = CLUSTER_STROKE;
    ctx.lineWidth = 1.2;
    ctx.stroke();
    ctx.font = "bold 10.5px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillStyle = "#e6ebef";
    for (const [x, y, label] of boxes) ctx.fillText(label, x, y + 0.5);
  },

  // Whether a ring or a halo (even one blinked off) is to be drawn.
  hasMarks() { return this._flashing.size > 0 || this._highlighted.some((i) => this._style[i] !== HIDDEN); },

  // Into `ctx` (fitted to this layer's view): highlight rings and the blinking halos' "on" phase;
  // highlighted or blinking points also show as themselves, even inside a cluster.
  _drawMarks(ctx) {
    const ringed = this._highlighted.filter((i) => this._style[i] !== HIDDEN);
    const blinking = this._flashOn ? [...this._flashing.keys()].filter((i) => this._style[i] !== HIDDEN) : [];
    if (this.clustered()) this._drawPoints(ctx, Int32Array.from(new Set([...ringed, ...this._flashing.keys()])));
    const xy = new Float64Array(2);
    const rings = (positions, color, extra, width) => {
      ctx.beginPath();
      for (const i of positions) {
        this._project(i, xy, 0);
        const r = this._styles[this._style[i]].radius + extra;
        ctx.moveTo(xy[0] + r, xy[1]);
        ctx.arc(xy[0], xy[1], r, 0, 2 * Math.PI);
      }
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.stroke();
    };
    rings(ringed, "#101418", 5, 5); // a dark under-stroke keeps the ring visible on any colour
    rings(ringed, HIGHLIGHT_RING, 5, 2.5);
    rings(blinking, FLASH_RING, 9, 3);
  },
});

// The two canvases the page shows of every point layer on the map: the points, and above them the
// rings and halos (hidden while there are none). In software rendering each full-screen canvas
// costs the compositor a layer to blend on every frame, and four layers made eight; here each
// layer draws its points into a canvas of its own off the page, and one animation frame draws
// what changed and copies every layer's canvas, bottom to top, into the shown one. The marks
// are drawn straight into theirs: a canvas of their own per layer cost a full-screen allocation
// each (and the garbage collection it prompts) the first time anything was ringed.
const pointCanvas = {
  layers: [],
  canvas: null,
  marks: null,
  frame: null,
  waited: false, // left the last frame to the shapes (frameTaken)
  pointsChanged: false, // since the last composition
  marksChanged: false,
  canvasView: null, // the view each shown canvas was drawn in (keepInPlace)
  marksView: null,

  add(layer) {
    if (!this.canvas) {
      const pane = map.createPane("points");
      pane.style.zIndex = POINTS_Z_INDEX;
      this.canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide point-cloud", pane);
      this.marks = L.DomUtil.create("canvas", "leaflet-zoom-hide point-cloud", pane);
      map.on("zoomend viewreset resize", () => {
        keepInPlace(this.canvas, this.canvasView);
        keepInPlace(this.marks, this.marksView);
      });
    }
    this.layers.push(layer);
    this.layers.sort((a, b) => a.options.order - b.options.order);
    this.pointsChanged = true;
    this.marksChanged = true;
    this.schedule();
  },

  remove(layer) {
    this.layers = this.layers.filter((l) => l !== layer);
    this.pointsChanged = true;
    this.marksChanged = true;
    this.schedule();
  },

  schedule() {
    if (this.frame === null) this.frame = requestAnimationFrame((start) => { this.frame = null; this._draw(start); });
  },

  // Whether every change is drawn and shown.
  drawn() { return this.frame === null; },

  // Runs the steps of the layers' drawings (a layer changed meanwhile starts anew): one at least,
  // more while the frame (which the shapes may have begun) is under POINT_FRAME_MS old, the rest
  // on the next frames; shows them once all are drawn (meanwhile the last composition stays on
  // screen, in place on the map).
  _draw(frameStart) {
    if (frameTaken(this, frameStart, POINT_FRAME_MS)) {
      this.schedule();
      return;
    }
    let drew = false;
    for (const layer of this.layers) {
      if (layer._dirty) {
        layer._begin();
        this.pointsChanged = true;
      }
      while (layer._steps.length) {
        if (drew && performance.now() - frameStart > POINT_FRAME_MS) {
          this.schedule();
          return;
        }
        layer._step();
        this.marksChanged = true;
        drew = true;
      }
    }
    if (this.pointsChanged) this._compose();
    if (this.marksChanged) this._drawMarks();
    this.pointsChanged = false;
    this.marksChanged = false;
  },

  // Copies the layers' canvases into the shown one, placed and sized as theirs (every layer draws
  // the same view); with none, it is hidden.
  _compose() {
    const layers = this.layers.filter((l) => l._view);
    this.canvas.style.display = layers.length ? "" : "none";
    if (!layers.length) return;
    const ctx = layers[0]._prepare(this.canvas);
    this.canvasView = layers[0]._view;
    const { width, height } = layers[0]._view; // CSS pixels: the context is scaled to them
    for (const layer of layers) ctx.drawImage(layer._canvas, 0, 0, width, height);
    // The marks' canvas, hidden, takes the same size now (and its memory, by being cleared): the
    // first ring, which the dispatcher waits for, then allocates nothing.
    if (this.marks.width !== this.canvas.width || this.marks.height !== this.canvas.height) layers[0]._prepare(this.marks);
  },

  // Every layer's marks, bottom to top, in the view their points were drawn in; with none, the
  // canvas is hidden (a shown canvas costs the compositor a layer on every frame).
  _drawMarks() {
    const layers = this.layers.filter((l) => l._view && l.hasMarks());
    this.marks.style.display = layers.length ? "" : "none";
    if (!layers.length) return;
    const ctx = layers[0]._prepare(this.marks);
    this.marksView = layers[0]._view;
    for (const layer of layers) layer._drawMarks(ctx);
  },
};

// One page-wide timer blinks every layer's flashing points; it runs only while some blink.
const blinker = {
  timer: null,
  start() {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      const now = performance.now();
      let any = false;
      for (const layer of Object.values(pointLayers)) if (layer._flashing.size && layer.blink(now)) any = true;
      if (!any) { clearInterval(this.timer); this.timer = null; }
    }, FLASH_HALF_PERIOD_MS);
  },
};

// Lines and polygons by the ten thousand (roads, grid outlines, fills, coverage bands), drawn
// into the shared shapeCanvas below. Leaflet's vector layers keep an object per feature and re-project every
// one on each zoom: with the city's 113k roads a zoom cost seconds. Here the coordinates sit in
// one typed array in Web Mercator at zoom 0, so a draw is a multiply per vertex; features off
// screen are skipped by their box, vertices closer than a pixel to the last one are dropped, and
// a style may start only from a zoom (`minZoom`: no local roads over the whole city).
// Each feature's style is `styleOf(properties)`: {color, weight, opacity, dashArray, stroke,
// fill, fillColor, fillOpacity} as Leaflet's path options, plus `minZoom` and `fadeFromZoom`
// (from there the fill is fainter, so that streets stay readable under it).
function mercatorX(lng) { return ((lng + 180) / 360) * 256; }
function mercatorY(lat) {
  const sin = Math.sin((Math.max(-85.05, Math.min(85.05, lat)) * Math.PI) / 180);
  return (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * 256;
}

function ringsOf(geometry) {
  if (!geometry) return [];
  switch (geometry.type) {
    case "LineString": return [geometry.coordinates];
    case "MultiLineString": case "Polygon": return geometry.coordinates;
    case "MultiPolygon": return geometry.coordinates.flat();
    case "GeometryCollection": return geometry.geometries.flatMap(ringsOf);
    default: return [];
  }
}

// The coordinates of many features, once: every vertex in one typed array in Web Mercator at zoom
// 0, each feature's rings and box by its number. ShapeClouds draw from it; several may share one
// (a grid level's outlines and its fill), each drawing its own features in its own styles.
class ShapeGeometry {
  static built = 0; // how many, for tests: a restyle builds none

  constructor(features) {
    ShapeGeometry.built += 1;
    let vertices = 0;
    let rings = 0;
    for (const f of features) for (const ring of ringsOf(f.geometry)) { vertices += ring.length; rings += 1; }
    this.xy = new Float64Array(2 * vertices);
    this.ringStart = new Int32Array(rings + 1);
    this.featureRing = new Int32Array(features.length + 1);
    this.box = new Float64Array(4 * features.length); // min x, min y, max x, max y
    this.area = features.map((f) => /Polygon/.test(f.geometry?.type)); // polygons may be filled, lines not
    this.props = features.map((f) => f.properties || {});
    let v = 0;
    let r = 0;
    features.forEach((f, i) => {
      this.featureRing[i] = r;
      let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const ring of ringsOf(f.geometry)) {
        this.ringStart[r] = v;
        for (const [lng, lat] of ring) {
          const x = mercatorX(lng);
          const y = mercatorY(lat);
          this.xy[2 * v] = x;
          this.xy[2 * v + 1] = y;
          v += 1;
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
        r += 1;
      }
      this.box.set([x0, y0, x1, y1], 4 * i);
    });
    this.ringStart[r] = v;
    this.featureRing[features.length] = r;
  }
}

const ShapeCloud = L.Layer.extend({

  // `source`: GeoJSON features, or a ShapeGeometry to share; `options.only`: the numbers of the
  // features to draw (all by default).
  initialize(source, styleOf, options) {
    L.setOptions(this, options);
    this.geometry = source instanceof ShapeGeometry ? source : new ShapeGeometry(source);
    this.restyle(styleOf, options.only);
    this._drawn = 0; // features drawn last time
  },

  // New styles (and features to draw) over the same geometry: no coordinate is read again.
  // Features are drawn grouped by style, in style order: one canvas path per style. Equal styles
  // are one; a style object `styleOf` gives again (a constant, a class's) is compared only once.
  restyle(styleOf, only) {
    const { props, area } = this.geometry;
    const drawn = only ?? props.map((_, i) => i);
    const styles = [];
    const numbers = new Map(); // JSON of a style -> its number
    const given = new Map(); // a style object styleOf gave -> its numbers [as a line, as a polygon]
    const styleNumber = new Int32Array(props.length);
    for (const i of drawn) {
      const style = styleOf(props[i]);
      if (!given.has(style)) given.set(style, [-1, -1]);
      const known = given.get(style);
      const kind = area[i] ? 1 : 0;
      if (known[kind] < 0) {
        const full = { ...style, area: area[i] };
        const key = JSON.stringify(full);
        if (!numbers.has(key)) { numbers.set(key, styles.length); styles.push(full); }
        known[kind] = numbers.get(key);
      }
      styleNumber[i] = known[kind];
    }
    this._order = Int32Array.from(drawn).sort((a, b) => styleNumber[a] - styleNumber[b] || a - b);
    this._styleStart = new Int32Array(styles.length + 1);
    this._order.forEach((i, k) => { this._styleStart[styleNumber[i] + 1] = k + 1; });
    for (let s = 1; s <= styles.length; s += 1) this._styleStart[s] = Math.max(this._styleStart[s], this._styleStart[s - 1]);
    this._styles = styles;
    this._props = Array.from(this._order, (i) => props[i]);
    if (this._map) this.redraw();
    return this;
  },

  count() { return this._props.length; },

  drawnCount() { return this._drawn; },

  properties() { return this._props; },

  styles() { return this._styles; },

  onAdd() { shapeCanvas.add(this); },

  onRemove() { shapeCanvas.remove(this); },

  redraw() {
    shapeCanvas.redraw();
    return this;
  },

  // Whether the last drawing is complete (a big one takes a few frames).
  drawn() { return shapeCanvas.drawn(); },

  // Draws from where `job` stands (style s, feature k) until `budget` vertices are spent;
  // returns the budget left (0: not finished, carry on next frame).
  _drawPart(ctx, view, job, budget) {
    const { zoom, scale, ox, oy, width, height } = view;
    const { xy, box, featureRing, ringStart } = this.geometry;
    for (; job.s < this._styles.length && budget > 0; job.s += 1, job.k = this._styleStart[job.s]) {
      const style = this._styles[job.s];
      if (style.minZoom !== undefined && zoom < style.minZoom) continue;
      const stroke = style.stroke !== false && (style.weight ?? 3) > 0;
      const fill = style.area && style.fill !== false && Boolean(style.fillColor);
      ctx.beginPath();
      const end = this._styleStart[job.s + 1];
      for (; job.k < end && budget > 0; job.k += 1) {
        const k = this._order[job.k];
        const x0 = box[4 * k] * scale - ox;
        const y0 = box[4 * k + 1] * scale - oy;
        const x1 = box[4 * k + 2] * scale - ox;
        const y1 = box[4 * k + 3] * scale - oy;
        if (x1 < 0 || x0 > width || y1 < 0 || y0 > height) continue;
        this._drawn += 1;
        if (fill) budget -= ((Math.min(x1, width) - Math.max(x0, 0)) * (Math.min(y1, height) - Math.max(y0, 0))) / FILL_PX_PER_VERTEX;
        for (let r = featureRing[k]; r < featureRing[k + 1]; r += 1) {
          const first = ringStart[r];
          const last = ringStart[r + 1] - 1;
          budget -= last - first + 1;
          let px = xy[2 * first] * scale - ox;
          let py = xy[2 * first + 1] * scale - oy;
          ctx.moveTo(px, py);
          for (let i = first + 1; i <= last; i += 1) {
            const x = xy[2 * i] * scale - ox;
            const y = xy[2 * i + 1] * scale - oy;
            if (i < last && Math.abs(x - px) + Math.abs(y - py) < 1) continue; // under a pixel
            ctx.lineTo(x, y);
            px = x;
            py = y;
          }
          if (fill) ctx.closePath();
        }
      }
      if (fill) {
        const fade = style.fadeFromZoom !== undefined && zoom >= style.fadeFromZoom ? FADED_FILL : 1;
        ctx.globalAlpha = (style.fillOpacity ?? 0.2) * fade;
        ctx.fillStyle = style.fillColor || style.color;
        ctx.fill("evenodd");
      }
      if (stroke) {
        ctx.globalAlpha = style.opacity ?? 1;
        ctx.strokeStyle = style.color || "#3388ff";
        ctx.lineWidth = style.weight ?? 3;
        ctx.setLineDash(style.dashArray ? style.dashArray.split(/[ ,]+/).map(Number) : []);
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
      ctx.setLineDash([]);
      if (job.k < end) return 0; // out of budget inside this style: carry on from here
    }
    return Math.max(budget, 1);
  },
});

// The one canvas every ShapeCloud on the map draws into, bottom to top by its pane's z-index.
// One canvas, not one per layer: in software rendering each full-screen canvas costs the
// compositor a layer to blend on every frame. It draws in parts while the frame is young (see
// SHAPE_FRAME_MS) and the rest on the next frames, so that neither the script nor the rasteriser
// holds the page for long. It draws into a hidden twin and shows that once complete (the last
// drawing stays on screen meanwhile, in place on the map): a shown canvas changed in a frame is
// copied for the compositor at that frame's commit, and each part's copy of a full-screen canvas
// cost the page 1-2 ms, up to 20 ms when it needed new memory.
const shapeCanvas = {
  layers: [],
  canvas: null, // shown
  back: null, // drawn into, hidden
  frame: null,
  waited: false, // left the last frame to the points (frameTaken)
  job: null, // {view, layer (index), part: {s, k}}
  shownView: null, // the view the shown canvas was drawn in (keepInPlace)

  add(layer) {
    if (!this.canvas) {
      map.createPane("shapes").style.zIndex = PANES.water;
      this.canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide shape-cloud", map.getPane("shapes"));
      this.back = L.DomUtil.create("canvas", "leaflet-zoom-hide shape-cloud", map.getPane("shapes"));
      this.canvas.style.display = "none";
      this.back.style.display = "none";
      map.on("moveend zoomend resize viewreset", () => {
        keepInPlace(this.canvas, this.shownView);
        this.redraw();
      });
    }
    this.layers.push(layer);
    const order = (l) => PANES[l.options.pane] ?? 0;
    this.layers.sort((a, b) => order(a) - order(b)); // stable: added order within a pane
    this.redraw();
  },

  remove(layer) {
    this.layers = this.layers.filter((l) => l !== layer);
    this.redraw();
  },

  // Starts a fresh drawing on the next animation frame; a drawing under way is abandoned.
  redraw() {
    this.job = null;
    this._schedule();
  },

  _schedule() {
    if (this.frame === null) this.frame = requestAnimationFrame((start) => { this.frame = null; this._draw(start); });
  },

  drawn() { return this.job === null && this.frame === null; },

  // One part at least, more while the frame (which the points may have begun) is young; the
  // drawing is shown when complete.
  _draw(frameStart) {
    if (!this.canvas) return;
    if (frameTaken(this, frameStart, SHAPE_FRAME_MS)) {
      this._schedule();
      return;
    }
    if (!this.job) this.job = { view: this._start(), layer: 0, part: null };
    const { job } = this;
    const ctx = context2d(this.back);
    do {
      let budget = SHAPE_PART_VERTICES;
      while (job.layer < this.layers.length && budget > 0) {
        const layer = this.layers[job.layer];
        if (!job.part) {
          job.part = { s: 0, k: layer._styleStart[0] };
          layer._drawn = 0;
        }
        budget = layer._drawPart(ctx, job.view, job.part, budget);
        if (budget > 0) {
          job.layer += 1;
          job.part = null;
        }
      }
      flush(ctx);
    } while (job.layer < this.layers.length && performance.now() - frameStart < SHAPE_FRAME_MS);
    if (job.layer < this.layers.length) {
      this._schedule();
      return;
    }
    this.job = null;
    this.shownView = job.view;
    [this.canvas, this.back] = [this.back, this.canvas];
    this.canvas.style.display = "";
    this.back.style.display = "none";
  },

  // The hidden canvas fitted to the view (plus padding) and cleared; the view's projection.
  _start() {
    const size = map.getSize();
    const pad = size.multiplyBy(SHAPE_PADDING).round();
    const width = size.x + 2 * pad.x;
    const height = size.y + 2 * pad.y;
    const offset = map.containerPointToLayerPoint([-pad.x, -pad.y]).round();
    fitCanvas(this.back, offset, width, height, window.devicePixelRatio || 1);
    const zoom = map.getZoom();
    const origin = map.getPixelBounds().min.subtract(pad);
    return { zoom, scale: 2 ** zoom, ox: origin.x, oy: origin.y, width, height };
  },
};

// "#rrggbb" and an opacity as one RGBA pixel of a little-endian Uint32Array over ImageData.
function packedColour(hex, opacity) {
  const value = parseInt(hex.slice(1), 16);
  const alpha = Math.round(255 * (opacity ?? 1));
  return ((alpha << 24) | ((value & 0xff) << 16) | (value & 0xff00) | (value >> 16)) >>> 0;
}

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

function drawBucket(ctx, style, xy, size = 1) {
  if (!xy.length) return;
  if (style.ring) {
    ctx.globalAlpha = 1;
    tracePoints(ctx, "circle", (style.radius + 4) * size, xy);
    ctx.strokeStyle = style.ring;
    ctx.lineWidth = 2.5;
    ctx.stroke();
  }
  tracePoints(ctx, style.shape, style.radius * size, xy);
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

function roadStyle(p) {
  return ROAD_STYLES[p.road_class] || ROAD_STYLES.local;
}

// Responders: shape and colour by kind. The ones free to take a job stand out; busy ones are
// dimmed with a white outline (they are on a job), off-duty ones are faint.
const RESPONDER_OPACITY = { on_duty: 0.95, busy: 0.5, off: 0.22 };
function responderStyle(p) {
  const busy = p.status === "busy";
  return {
    shape: RESPONDER_SHAPES[p.kind] || "circle", radius: p.kind === "grid_worker" ? 4 : 5,
    fill: RESPONDER_COLORS[p.kind] || "#ffffff", fillOpacity: RESPONDER_OPACITY[p.status] ?? 0.95,
    stroke: busy ? "#ffffff" : "#101418", weight: busy ? 1.2 : 1,
  };
}

// Cameras: colour by class; an offline one is hollow (its class colour as the outline), so the
// maintenance gaps show at a glance.
function cameraStyle(p) {
  const colour = CAMERA_COLORS[p.camera_class] || "#ffffff";
  if (p.status === "offline") {
    return { shape: "circle", radius: 2.5, fill: "#14181c", fillOpacity: 1, stroke: colour, weight: 1.2 };
  }
  return { shape: "circle", radius: 2.5, fill: colour, fillOpacity: 0.9, weight: 0 };
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
  const clusterBelowZoom = name === "cameras" ? CAMERA_CLUSTER_BELOW_ZOOM : null;
  const layer = new PointCloud(styleOf, idKey, { order: POINT_ORDER[name], clusterBelowZoom });
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

function overlaps(a, b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

// Labels placed so far, by screen cell: a new label is checked against its neighbours only.
const LABEL_CELL_PX = 128;
class PlacedBoxes {
  constructor() { this.cells = new Map(); }

  _keys(box) {
    const keys = [];
    for (let cx = Math.floor(box[0] / LABEL_CELL_PX); cx <= Math.floor(box[2] / LABEL_CELL_PX); cx += 1) {
      for (let cy = Math.floor(box[1] / LABEL_CELL_PX); cy <= Math.floor(box[3] / LABEL_CELL_PX); cy += 1) {
        keys.push(cx * 65536 + cy);
      }
    }
    return keys;
  }

  overlapsAny(box) {
    return this._keys(box).some((key) => (this.cells.get(key) || []).some((other) => overlaps(other, box)));
  }

  add(box) {
    for (const key of this._keys(box)) {
      if (this.cells.has(key)) this.cells.get(key).push(box);
      else this.cells.set(key, [box]);
    }
  }
}

// The names of one grid level, drawn into the shapeCanvas above the shapes and under the points.
// (As page elements, a few hundred labels cost the page's style and layout ~15 ms after every view
// change.) Bigger grids first, and a label that would cover one already placed in this drawing,
// of its level or a higher one, gives way.
const GridLabels = L.Layer.extend({
  options: { pane: "gridLabels" },

  initialize(features, level, minZoom) {
    this.level = level;
    this.minZoom = minZoom;
    const items = features.map((f) => f.properties).sort((a, b) => b.width_deg - a.width_deg);
    this._x = Float64Array.from(items, (p) => mercatorX(p.label_lon));
    this._y = Float64Array.from(items, (p) => mercatorY(p.label_lat));
    this._text = items.map((p) => p.name);
    this._halfWidth = new Float32Array(items.length).fill(-1); // measured once, at the first drawing
    this._styleStart = [0]; // as a ShapeCloud's: where shapeCanvas starts a drawing
    this._shown = [];
  },

  onAdd() { shapeCanvas.add(this); },

  onRemove() {
    this._shown = [];
    shapeCanvas.remove(this);
  },

  // The names drawn last.
  shown() { return this._shown; },

  // Labels count as LABEL_VERTICES each against the part's budget: the first drawing at a zoom
  // also measures them, ~0.1 ms a label.
  _drawPart(ctx, view, job, budget) {
    if (job.k === 0) this._shown = [];
    if (view.zoom < this.minZoom) return budget;
    const style = LABEL_STYLES[this.level];
    view.placedLabels ??= new PlacedBoxes();
    ctx.font = `${style.bold ? "bold " : ""}${style.fontPx}px ${LABEL_FONT_FAMILY}`;
    ctx.letterSpacing = style.spacing;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    ctx.lineWidth = LABEL_HALO.width;
    ctx.strokeStyle = LABEL_HALO.color;
    ctx.fillStyle = style.color;
    const halfHeight = style.fontPx * 0.7;
    const { scale, ox, oy, width, height } = view;
    for (; job.k < this._text.length && budget > 0; job.k += 1) {
      const i = job.k;
      const x = this._x[i] * scale - ox;
      const y = this._y[i] * scale - oy;
      if (x < 0 || x > width || y < 0 || y > height) continue;
      budget -= LABEL_VERTICES;
      if (this._halfWidth[i] < 0) this._halfWidth[i] = ctx.measureText(this._text[i]).width / 2 + 2;
      const box = [x - this._halfWidth[i], y - halfHeight, x + this._halfWidth[i], y + halfHeight];
      if (view.placedLabels.overlapsAny(box)) continue;
      view.placedLabels.add(box);
      ctx.strokeText(this._text[i], x, y);
      ctx.fillText(this._text[i], x, y);
      this._shown.push(this._text[i]);
    }
    ctx.letterSpacing = "0px";
    return job.k < this._text.length ? 0 : Math.max(budget, 1);
  },
});

// Grids: one overlay per level, each with its labels.
// level -> {shapes: its outlines' ShapeCloud, whose geometry fills share; number: code -> feature number}
const gridLevels = {};
function addGrids(data) {
  const byLevel = {};
  for (const feature of data.features) {
    (byLevel[feature.properties.level] ||= []).push(feature);
  }
  for (const level of Object.keys(byLevel).map(Number).sort((a, b) => a - b)) {
    const features = byLevel[level];
    const typicalWidth = median(features.map((f) => f.properties.width_deg));
    const outline = {
      ...(GRID_STYLES[level] || GRID_STYLES[3]),
      minZoom: level === 1 ? undefined : zoomForWidth(typicalWidth, GRID_OUTLINE_MIN_WIDTH_PX),
    };
    const shapes = new ShapeCloud(features, () => outline, { pane: "grids" });
    gridLevels[level] = { shapes, number: new Map(features.map((f, i) => [f.properties.code, i])) };
    const overlay = L.layerGroup([shapes]);
    if (level in LABEL_STYLES) {
      const labels = new GridLabels(features, level, zoomForWidth(typicalWidth, LABEL_MIN_GRID_WIDTH_PX[level]));
      overlay.addLayer(labels);
      gridLabels.push(labels);
    }
    const title = titles.gridLevels[level] || titles.gridLevelOther.replace("{level}", level);
    overlays.push([title, overlay]);
  }
  drawnCounts.grids = data.features.length;
}

// The grid editor dims the base map so that grid boundaries stand out against it.
const BASE_OPACITY = MODE === "editor" ? 0.4 : 1;
for (const style of Object.values(ROAD_STYLES)) style.opacity = BASE_OPACITY;
const WATER_STYLE = { color: "#2f6f9f", weight: 1, fillColor: "#1d4c70", fillOpacity: 0.95 * BASE_OPACITY };
const BUILDERS = {
  water: (data) => new ShapeCloud(data.features, () => WATER_STYLE, { pane: "water" }),
  roads: (data) => new ShapeCloud(data.features, roadStyle, { pane: "roads" }),
  patrol_routes: (data) => new ShapeCloud(data.features, () => PATROL_ROUTE_STYLE, { pane: "patrolRoutes" }),
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
  drawnCounts[name] = layer.count ? layer.count() : layer.getLayers().length;
}

// Calls back once everything is on screen: canvases repaint on the next animation frame, shapes
// and points maybe over a few; the frame after that has them on screen (then Python may take a screenshot).
function whenPainted(callback) {
  requestAnimationFrame(() => (shapeCanvas.drawn() && pointCanvas.drawn() ? requestAnimationFrame(callback)
    : whenPainted(callback)));
}

// The selected incident: a halo around it and the recommended routes (best first, bold).
const selection = L.layerGroup();
const SELECTION_MAX_ZOOM = 16;
const ROUTE_RANK_PX = 22; // as .route-rank in map.css
map.createPane("selection").style.zIndex = 465;
map.createPane("selectionLabels").style.zIndex = 466;
function onSelect(json) {
  const { incident, routes } = JSON.parse(json);
  selection.clearLayers();
  whenPainted(() => bridge.selectionDrawn());
  if (!incident) return;
  routes.forEach((line, rank) => {
    selection.addLayer(L.polyline(line, {
      pane: "selection", interactive: false, color: rank === 0 ? "#34e2ff" : "#8fb8c8",
      weight: rank === 0 ? 5 : 2.5, opacity: rank === 0 ? 0.95 : 0.7, dashArray: rank === 0 ? null : "6 5",
    }));
    // The responder's end of the route, numbered as the key that assigns them. A marker of fixed
    // size, centred by its anchor: a tooltip measured itself (a forced layout of the page) at
    // every placing, ~2 ms each when the selection zooms the map.
    selection.addLayer(L.marker(line[0], {
      pane: "selectionLabels", interactive: false, keyboard: false,
      icon: L.divIcon({ className: "route-rank", html: String(rank + 1), iconSize: [ROUTE_RANK_PX, ROUTE_RANK_PX] }),
    }));
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
      const { lat, lng, props } = layer.point(id);
      if (name !== "incidents") pointPopup.setLatLng([lat, lng]).setContent(describePoint(name, props)).openOn(map);
      bridge.featureClicked(name, id);
      return;
    }
  }
  map.closePopup(pointPopup);
  bridge.mapClicked(e.latlng.lng, e.latlng.lat);
}

// The buffers (by key) a tick's base64 arrays are decoded into, reused: arrays of a few hundred
// KB allocated anew every second grew V8's external memory until it collected the whole heap,
// a 15-24 ms pause of the page, within two seconds of the ticks starting.
const decodeBuffers = new Map();
function decode(base64, ArrayType, key) {
  const size = Math.floor((base64.length * 3) / 4); // the most it can hold: padding takes a byte or two
  let buffer = decodeBuffers.get(key);
  if (!buffer || buffer.byteLength < size) {
    buffer = new ArrayBuffer(size);
    decodeBuffers.set(key, buffer);
  }
  const { written } = new Uint8Array(buffer).setFromBase64(base64);
  return new ArrayType(buffer, 0, written / ArrayType.BYTES_PER_ELEMENT);
}

// One tick's diff from Python: {moved: {layer: {index, lonlat}}, changed, added, removed}.
function onUpdate(json) {
  const diff = JSON.parse(json);
  for (const [name, features] of Object.entries(diff.added || {})) pointLayers[name]?.add(features);
  for (const [name, updates] of Object.entries(diff.changed || {})) pointLayers[name]?.change(updates);
  for (const [name, ids] of Object.entries(diff.removed || {})) pointLayers[name]?.hide(ids);
  for (const [name, moves] of Object.entries(diff.moved || {})) {
    const layer = pointLayers[name];
    if (!layer) continue;
    // The index stays the layer's (moves without one reuse it) until the next index replaces it.
    layer.move(moves.index ? decode(moves.index, Int32Array, `${name}.index`) : null,
      decode(moves.lonlat, Float32Array, "lonlat"));
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
  // Open where there is room for it; on a small map a button that opens on hover.
  const size = map.getSize();
  const collapsed = size.x < LAYER_CONTROL_OPEN_MIN_PX.width || size.y < LAYER_CONTROL_OPEN_MIN_PX.height;
  layerControl = L.control.layers(null, null, { collapsed, position: "topright" });
  for (const [title, layer] of overlays) {
    layer.addTo(map);
    layerControl.addOverlay(layer, title);
  }
  layerControl.addTo(map);
  whenPainted(() => {
    // What loading left (the layers' messages, canvases' memory) is collected now, while the map
    // is shown for the first time; left to V8, the growth of its external memory set off a whole-
    // heap collection in the first second of live updates, on top of the selection's redraw
    // (40-60 ms of the page). `gc` is there when the console starts Chromium (PAGE_JS_FLAGS).
    window.gc?.();
    bridge.layersDrawn(JSON.stringify(drawnCounts));
  });
}

// -- Python's commands (MapView.fill_grids, show_heat, highlight, flash, focus, show_overlay) --

// An extra overlay in the layer control, replacing the one of the same name (null: removes it).
function setExtraOverlay(name, title, layer) {
  const previous = extraOverlays.get(name);
  if (previous) {
    map.removeLayer(previous[1]);
    layerControl?.removeLayer(previous[1]);
    extraOverlays.delete(name);
  }
  if (!layer) return;
  extraOverlays.set(name, [title, layer]);
  layer.addTo(map);
  layerControl?.addOverlay(layer, title);
}

// Class breaks of a sequential fill: up to FILL_RAMP.length classes, at quantiles of the
// distinct values: when most grids hold one open ticket, the busy few still get the bright
// colours (and a single very busy grid does not wash out the rest). Whole numbers stay whole.
function fillClasses(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const whole = sorted.every(Number.isInteger);
  const distinct = [...new Set(sorted)];
  const lows = [];
  for (let k = 0; k < FILL_RAMP.length; k += 1) {
    const low = distinct[Math.floor((k * distinct.length) / FILL_RAMP.length)];
    if (!lows.length || low > lows[lows.length - 1]) lows.push(low);
  }
  const top = sorted[sorted.length - 1];
  // Spread the colours over the whole ramp even with fewer classes: the top class is the brightest.
  const colors = lows.map((_, k) => FILL_RAMP[lows.length === 1 ? FILL_RAMP.length - 1
    : Math.round((k * (FILL_RAMP.length - 1)) / (lows.length - 1))]);
  const format = (v) => (whole ? String(v) : v.toLocaleString(undefined, { maximumSignificantDigits: 3 }));
  const labels = lows.map((low, k) => {
    const high = k + 1 < lows.length ? lows[k + 1] : top;
    if (whole) {
      const last = k + 1 < lows.length ? high - 1 : high;
      return last > low ? `${format(low)}–${format(last)}` : format(low);
    }
    return k + 1 < lows.length ? `${format(low)}–${format(high)}` : `≥ ${format(low)}`;
  });
  const classOf = (v) => {
    let k = 0;
    while (k + 1 < lows.length && v >= lows[k + 1]) k += 1;
    return k;
  };
  return { colors, labels, classOf };
}

const legend = L.control({ position: "bottomright" });
legend.onAdd = () => L.DomUtil.create("div", "map-legend");
function showLegend(title, classes) {
  if (!classes) {
    legend.remove();
    return;
  }
  if (!legend._map) legend.addTo(map);
  const box = legend.getContainer();
  box.replaceChildren();
  L.DomUtil.create("div", "map-legend-title", box).textContent = title;
  classes.colors.forEach((color, k) => {
    const row = L.DomUtil.create("div", "map-legend-row", box);
    const swatch = L.DomUtil.create("span", "map-legend-swatch", row);
    swatch.style.background = color;
    L.DomUtil.create("span", "", row).textContent = classes.labels[k];
  });
}

// What the fill shows: {title, level, colorOf: code -> colour, classes}; colorOf is for tests.
let fillState = null;
// A new fill of the same level only restyles the one shown (a few ms, where building it anew
// from the features cost 10-25 ms of the page the first time): the console refills the grids
// whenever the open tickets per grid change.
function fillGrids({ values, title, level }) {
  const levels = Object.keys(gridLevels).map(Number);
  const chosen = level ?? Math.max(...levels);
  const grids = gridLevels[chosen];
  const codes = grids ? Object.keys(values).filter((code) => grids.number.has(code)) : [];
  if (!codes.length) {
    fillState = null;
    setExtraOverlay("gridFill", "", null);
    showLegend("", null);
    return;
  }
  const classes = fillClasses(codes.map((code) => values[code]));
  const classStyles = classes.colors.map((fillColor) => ({
    stroke: false, fillColor, fillOpacity: FILL_OPACITY, fadeFromZoom: FILL_FADE_FROM_ZOOM,
  }));
  const styleOf = (p) => classStyles[classes.classOf(values[p.code])];
  const colorOf = Object.fromEntries(codes.map((code) => [code, styleOf({ code }).fillColor]));
  const only = codes.map((code) => grids.number.get(code));
  const shown = extraOverlays.get("gridFill");
  const same = shown && fillState && fillState.level === chosen && fillState.title === title;
  fillState = { title, level: chosen, colorOf, classes };
  if (same) {
    shown[1].restyle(styleOf, only);
    if (map.hasLayer(shown[1])) showLegend(title, classes);
    return;
  }
  const layer = new ShapeCloud(grids.shapes.geometry, styleOf, { pane: "gridFill", only });
  setExtraOverlay("gridFill", title, layer);
  showLegend(title, classes);
  // The legend goes with the fill when it is switched off in the layer control.
  layer.on("add", () => showLegend(fillState.title, fillState.classes));
  layer.on("remove", () => showLegend("", null));
}

// Lines of an overlay are stroked; polygons also filled (a feature's style may say fill: false).
const OVERLAY_STYLE = { color: "#ffd166", weight: 2.5, opacity: 0.95, fillColor: "#ffd166", fillOpacity: 0.12 };

// An overlay that came in parts: its ShapeClouds, counted and listed as one layer.
const ShapeGroup = L.LayerGroup.extend({
  count() { return this.getLayers().reduce((n, layer) => n + layer.count(), 0); },
  properties() { return this.getLayers().flatMap((layer) => layer.properties()); },
});

// show_overlay's layers arrive in parts, each its own message (parsing and building the city's
// coverage in one go held the page for ~50 ms): a part becomes a ShapeCloud as it arrives, and the
// overlay shows, replacing the one of its name, once its last part is in. No parts: removed.
const overlayParts = new Map(); // name -> the ShapeClouds of the parts in so far
function showOverlay({ name, title, part, parts, geojson }) {
  if (!parts) {
    overlayParts.delete(name);
    setExtraOverlay(name, "", null);
    return;
  }
  if (part === 0) overlayParts.set(name, []);
  const clouds = overlayParts.get(name);
  const features = geojson.type === "FeatureCollection" ? geojson.features : [geojson];
  clouds.push(new ShapeCloud(features, (p) => ({ ...OVERLAY_STYLE, ...(p.style || {}) }), { pane: "extras" }));
  if (clouds.length === parts) {
    overlayParts.delete(name);
    setExtraOverlay(name, title, new ShapeGroup(clouds));
  }
}

// Incident heat: [[lat, lon, weight], ...] (leaflet.heat), weights relative to the heaviest.
function showHeat(points) {
  if (!points.length) {
    setExtraOverlay("heat", "", null);
    return;
  }
  const max = Math.max(...points.map((p) => p[2]));
  const layer = L.heatLayer(points, {
    radius: 22, blur: 18, max: max > 0 ? max : 1, minOpacity: 0.25,
    gradient: { 0.2: "#2c7bb6", 0.45: "#abd9e9", 0.65: "#ffffbf", 0.85: "#fdae61", 1: "#d7191c" },
  });
  setExtraOverlay("heat", titles.heat || "heat", layer);
}

let focusPin = null;
function focusOn({ lon, lat, zoom }) {
  const here = L.latLng(lat, lon);
  map.setView(here, zoom ?? Math.max(map.getZoom(), FOCUS_MIN_ZOOM), { animate: false });
  focusPin?.remove();
  const pin = L.circleMarker(here, {
    pane: "selection", interactive: false, radius: 11, color: "#ffffff", weight: 3,
    fillColor: HIGHLIGHT_RING, fillOpacity: 0.35, className: "focus-pin",
  }).addTo(map);
  focusPin = pin;
  setTimeout(() => {
    pin.remove();
    if (focusPin === pin) focusPin = null;
  }, FOCUS_PIN_MS);
}

const COMMANDS = {
  fill: fillGrids,
  heat: showHeat,
  overlay: showOverlay,
  focus: focusOn,
  highlight: ({ layer, ids }) => pointLayers[layer]?.setHighlight(ids),
  flash: ({ layer, ids, seconds }) => pointLayers[layer]?.flash(ids, seconds),
};
function onCall(name, json) {
  const command = COMMANDS[name];
  if (command) command(JSON.parse(json));
  else console.error(`unknown map command ${name}`);
}

// What a click on a responder or camera tells (never a camera's stream address).
function describePoint(name, props) {
  const rows = [];
  if (name === "responders") {
    rows.push(titles.kind?.[props.kind] || props.kind, titles.responderStatus?.[props.status] || props.status);
  } else {
    rows.push(titles.cameraClass?.[props.camera_class] || props.camera_class,
      titles.cameraStatus?.[props.status] || props.status);
  }
  const box = document.createElement("div");
  L.DomUtil.create("div", "point-popup-name", box).textContent = props.name;
  L.DomUtil.create("div", "point-popup-facts", box).textContent = rows.filter(Boolean).join(" · ");
  return box;
}

const pointPopup = L.popup({ className: "point-popup", closeButton: false, autoPan: false, offset: [0, -4] });

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
  // The grid names drawn last, per level (a level switched off: none).
  gridLabels: () => Object.fromEntries(gridLabels.map((labels) => [labels.level, labels.shown()])),
  pointLayers,
  shapeCanvas,
  pointCanvas,
  startStallProbe,
  showTerritory,
  stopStallProbe,
  // The store's layers; extraOverlayTitles: what Python added (fill, heat, show_overlay).
  overlayTitles: () => overlays.map(([title]) => title),
  visibleOverlayTitles: () => overlays.filter(([, layer]) => map.hasLayer(layer)).map(([title]) => title),
  extraOverlayTitles: () => Object.fromEntries([...extraOverlays].map(([name, [title]]) => [name, title])),
  // Features each big vector layer drew last (by its title in the layer control).
  drawnShapes: () => Object.fromEntries(overlays.filter(([, l]) => l instanceof ShapeCloud)
    .map(([title, l]) => [title, l.drawnCount()])),
  geometriesBuilt: () => ShapeGeometry.built,
  shapeStyles: (title) => overlays.find(([t]) => t === title)?.[1].styles?.() ?? null,
  extraOverlayFeatures: (name) => extraOverlays.get(name)?.[1].count() ?? null,
  extraOverlayProperties: (name) => extraOverlays.get(name)?.[1].properties() ?? null,
  fill: () => {
    if (!fillState) return null;
    const { classes, ...shown } = fillState;
    return { ...shown, legend: legend._map ? legend.getContainer().innerText : null };
  },
  highlighted: (layer) => pointLayers[layer]?.highlighted() ?? [],
  flashing: (layer) => pointLayers[layer]?.flashing() ?? [],
  clusters: (layer) => pointLayers[layer]?.clusters() ?? null,
  focusPin: () => focusPin && focusPin.getLatLng(),
  heatPoints: () => extraOverlays.get("heat")?.[1]._latlngs.length ?? 0,
  popupText: () => (pointPopup.isOpen() ? pointPopup.getElement().innerText : null),
  mode: MODE,
  commands: COMMANDS,
};

new QWebChannel(qt.webChannelTransport, (channel) => {
  bridge = channel.objects.bridge;
  bridge.configure.connect((json) => { titles = JSON.parse(json); });
  bridge.layerData.connect(onLayerData);
  bridge.finish.connect(onFinish);
  bridge.update.connect(onUpdate);
  bridge.select.connect(onSelect);
  bridge.call.connect(onCall);
  map.on("click", onClick);
  map.on("contextmenu", (e) => bridge.mapContextMenu(e.latlng.lng, e.latlng.lat));
  // Extension scripts (the grid editor's, the wall's) hook in with the map, the channel's objects
  // and this page's API; one failing must not take the map down.
  for (const extend of window.gridsightExtensions || []) {
    try {
      extend(map, channel.objects, window.gridsightMap);
    } catch (err) {
      console.error(`map extension failed: ${err}`);
    }
  }
  bridge.pageReady();
});
