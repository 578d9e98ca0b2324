"use strict";
// The grid editor's side of the map page (map.html?mode=editor). Python owns the grids and every
// rule: it sends the grids of the current view, the selected grid with its vertices, and overlays
// (a proposed split line, old vs new boundaries); this page draws them and sends back only the
// analyst's gestures: the view moved, a click, a vertex or an edge dragged, a line or a polygon
// drawn. Leaflet-Geoman draws the lines and polygons, snapping to the grids on screen.

(function () {
  if (new URLSearchParams(window.location.search).get("mode") !== "editor") return;

  // Geoman only in the editor: loaded here, attached to the map the page already made.
  const geomanLoaded = new Promise((resolve, reject) => {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "vendor/geoman/leaflet-geoman.css";
    document.head.appendChild(css);
    const script = document.createElement("script");
    script.src = "vendor/geoman/leaflet-geoman.js";
    script.onload = resolve;
    script.onerror = () => reject(new Error("vendor/geoman/leaflet-geoman.js is missing; run scripts/install.sh"));
    document.head.appendChild(script);
  });

  const CONTEXT_STYLE = { color: "#7fd3ff", weight: 2.5, opacity: 0.9, fill: false };
  const EDIT_STYLE = { color: "#a9cfe3", weight: 1.4, opacity: 0.95, fillColor: "#2a4a60", fillOpacity: 0.06 };
  const PENDING_STYLE = { color: "#ffd166", weight: 2, opacity: 1, dashArray: "6 4", fillColor: "#ffd166", fillOpacity: 0.08 };
  const SELECTED_STYLE = { color: "#34e2ff", weight: 3.5, opacity: 1, fillColor: "#34e2ff", fillOpacity: 0.16 };
  // Diffs (history, import): dashed red = the boundary before, solid green = after; a grid that
  // goes away is filled red, a new one filled green.
  const BEFORE_COLOUR = "#ff6b6b";
  const AFTER_COLOUR = "#4cd97b";
  const GONE = new Set(["removed", "deleted"]);
  const NEW = new Set(["added", "created"]);
  const SNAP_PX = 14;
  const LABEL_LIMIT = 300; // more edit-level grids than this on screen: no labels
  const MIN_EDGE_HANDLE_PX = 34; // shorter edges on screen get no edge handle
  const MIN_HANDLES_GRID_PX = 50; // a grid smaller on screen than this shows no handles

  function setup(map, editor) {
    L.PM.setOptIn(true); // geoman leaves every layer alone unless told (the base map's too)
    map.pm = new L.PM.Map(map);
    map.pm.setGlobalOptions({ snappable: true, snapDistance: SNAP_PX, allowSelfIntersection: false });
    map.pm.setLang("zh");
    map.doubleClickZoom.disable();

    map.createPane("editorGrids").style.zIndex = 335;
    map.createPane("editorSelection").style.zIndex = 340;
    map.createPane("editorOverlay").style.zIndex = 345;
    map.createPane("editorHandles").style.zIndex = 620;
    const gridRenderer = L.canvas({ pane: "editorGrids", padding: 0.3 });
    const grids = L.layerGroup().addTo(map);
    const labels = L.layerGroup().addTo(map);
    const selection = L.layerGroup().addTo(map);
    const handles = L.layerGroup().addTo(map);
    const overlays = {}; // name -> layer group
    const features = new Map(); // code -> feature
    const layers = new Map(); // code -> Leaflet layer
    let level = 1;
    let tool = "select";
    let selected = null; // {code, rings}
    let proposal = null; // the proposal polyline while shown

    function styleOf(feature) {
      const p = feature.properties;
      if (p.level < level) return CONTEXT_STYLE;
      return p.pending ? PENDING_STYLE : EDIT_STYLE;
    }

    function drawFeature(feature) {
      const code = feature.properties.code;
      layers.get(code)?.remove();
      const layer = L.geoJSON(feature, {
        renderer: gridRenderer, interactive: false, pmIgnore: false, snapIgnore: false, style: styleOf,
      });
      layer.addTo(grids);
      layers.set(code, layer);
      features.set(code, feature);
    }

    function removeFeature(code) {
      layers.get(code)?.remove();
      layers.delete(code);
      features.delete(code);
    }

    // Names of the grids being edited, where they fit without covering another (bigger grids first).
    function placeLabels() {
      labels.clearLayers();
      const view = map.getBounds();
      const editable = [...features.values()].filter((f) => f.properties.level === level
        && view.contains([f.properties.label[1], f.properties.label[0]]));
      if (editable.length > LABEL_LIMIT) return;
      editable.sort((a, b) => b.properties.size - a.properties.size);
      const placed = [];
      for (const f of editable) {
        const p = f.properties;
        const { x, y } = map.latLngToContainerPoint([p.label[1], p.label[0]]);
        const halfWidth = (p.name.length * 13) / 2 + 3;
        const box = [x - halfWidth, y - 9, x + halfWidth, y + 9];
        if (placed.some((o) => box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3])) continue;
        placed.push(box);
        labels.addLayer(L.tooltip({
          permanent: true, direction: "center", interactive: false,
          className: `editor-label${p.pending ? " pending" : ""}`,
        }).setLatLng([p.label[1], p.label[0]]).setContent(p.name));
      }
    }

    // Drawn once Chromium has painted: the second animation frame.
    function acknowledge(seq) {
      requestAnimationFrame(() => requestAnimationFrame(() => editor.drawn(seq)));
    }

    // {seq, level, features, replace}: every grid of the view (replace) or the changed ones.
    function onGrids(json) {
      const message = JSON.parse(json);
      level = message.level ?? level;
      if (message.replace) {
        grids.clearLayers();
        layers.clear();
        features.clear();
      }
      for (const code of message.removed || []) removeFeature(code);
      for (const feature of message.features) drawFeature(feature);
      placeLabels();
      acknowledge(message.seq);
    }

    function screenSize(bounds) {
      const a = map.latLngToContainerPoint(bounds.getSouthWest());
      const b = map.latLngToContainerPoint(bounds.getNorthEast());
      return Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y));
    }

    function handleIcon(kind) {
      return L.divIcon({ className: `editor-handle ${kind}`, iconSize: kind === "vertex" ? [12, 12] : [10, 10] });
    }

    // Vertex handles on every corner of the selected grid, edge handles on the middle of long edges.
    function drawHandles() {
      handles.clearLayers();
      if (!selected || tool !== "select") return;
      const outline = L.latLngBounds(selected.rings.flat().map(([lon, lat]) => [lat, lon]));
      if (screenSize(outline) < MIN_HANDLES_GRID_PX) return;
      const view = map.getBounds().pad(0.2);
      for (const ring of selected.rings) {
        for (let i = 0; i < ring.length - 1; i += 1) {
          const start = ring[i];
          const end = ring[i + 1];
          if (view.contains([start[1], start[0]])) {
            const vertex = L.marker([start[1], start[0]], {
              icon: handleIcon("vertex"), draggable: true, pane: "editorHandles", pmIgnore: true, snapIgnore: true,
              keyboard: false,
            });
            vertex.on("dragend", (e) => {
              const to = e.target.getLatLng();
              editor.vertexDragged(JSON.stringify({ from: start, to: [to.lng, to.lat] }));
            });
            handles.addLayer(vertex);
          }
          const a = map.latLngToContainerPoint([start[1], start[0]]);
          const b = map.latLngToContainerPoint([end[1], end[0]]);
          const middle = [(start[0] + end[0]) / 2, (start[1] + end[1]) / 2];
          if (a.distanceTo(b) >= MIN_EDGE_HANDLE_PX && view.contains([middle[1], middle[0]])) {
            const edge = L.marker([middle[1], middle[0]], {
              icon: handleIcon("edge"), draggable: true, pane: "editorHandles", pmIgnore: true, snapIgnore: true,
              keyboard: false,
            });
            edge.on("dragend", (e) => {
              const to = e.target.getLatLng();
              editor.edgeDragged(JSON.stringify({ start, end, offset: [to.lng - middle[0], to.lat - middle[1]] }));
            });
            handles.addLayer(edge);
          }
        }
      }
    }

    // {seq, code, rings, feature}: the selected grid (code null: nothing selected).
    function onSelection(json) {
      const message = JSON.parse(json);
      selection.clearLayers();
      selected = message.code ? message : null;
      if (selected) {
        selection.addLayer(L.geoJSON(message.feature, {
          pane: "editorSelection", interactive: false, style: SELECTED_STYLE, pmIgnore: true, snapIgnore: true,
        }));
      }
      drawHandles();
      acknowledge(message.seq);
    }

    // {seq, name, lines: [{feature...}], editable}: an overlay; no lines removes it.
    function onOverlay(json) {
      const message = JSON.parse(json);
      overlays[message.name]?.remove();
      delete overlays[message.name];
      if (message.name === "proposal") proposal = null;
      if (message.features && message.features.length) {
        const group = L.geoJSON({ type: "FeatureCollection", features: message.features }, {
          pane: "editorOverlay", interactive: message.name === "proposal", pmIgnore: message.name !== "proposal",
          snapIgnore: true,
          style: (f) => overlayStyle(message.name, f.properties),
        }).addTo(map);
        overlays[message.name] = group;
        if (message.name === "proposal") {
          proposal = group.getLayers()[0];
          proposal.pm.enable({ snappable: false, allowSelfIntersection: true });
          proposal.on("pm:edit", () => {
            const line = proposal.getLatLngs().map((p) => [p.lng, p.lat]);
            editor.proposalEdited(JSON.stringify(line));
          });
        }
        if (message.fit) {
          map.fitBounds(group.getBounds(), { padding: [80, 80], maxZoom: 17, animate: false });
        }
      }
      acknowledge(message.seq);
    }

    function overlayStyle(name, p) {
      if (name === "proposal") return { color: "#ff4fd8", weight: 4, dashArray: "10 6", opacity: 1 };
      if (p.side === "old") {
        return { color: BEFORE_COLOUR, weight: 2.5, dashArray: "6 5", opacity: 1, fillColor: BEFORE_COLOUR,
          fillOpacity: GONE.has(p.change) ? 0.3 : 0, fill: GONE.has(p.change) };
      }
      return { color: AFTER_COLOUR, weight: 3, opacity: 1, fillColor: AFTER_COLOUR,
        fillOpacity: NEW.has(p.change) ? 0.3 : 0.06 };
    }

    function onTool(name) {
      tool = name;
      map.pm.disableDraw();
      const options = { snappable: true, snapDistance: SNAP_PX, pathOptions: { color: "#ff4fd8", weight: 3 },
        templineStyle: { color: "#ff4fd8" }, hintlineStyle: { color: "#ff4fd8", dashArray: "5 5" } };
      if (name === "split") map.pm.enableDraw("Line", options);
      if (name === "draw") map.pm.enableDraw("Polygon", options);
      document.body.dataset.editorTool = name;
      drawHandles();
    }

    map.on("pm:create", (e) => {
      const latlngs = e.layer.getLatLngs();
      e.layer.remove();
      if (e.shape === "Line") {
        editor.lineDrawn(JSON.stringify(latlngs.map((p) => [p.lng, p.lat])));
      } else if (e.shape === "Polygon") {
        const ring = latlngs[0].map((p) => [p.lng, p.lat]);
        editor.polygonDrawn(JSON.stringify([...ring, ring[0]]));
      }
    });

    map.on("click", (e) => {
      if (tool !== "split" && tool !== "draw") editor.clicked(e.latlng.lng, e.latlng.lat);
    });

    function reportView() {
      const b = map.getBounds();
      editor.viewChanged(b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), map.getZoom());
    }
    map.on("moveend", () => { reportView(); drawHandles(); placeLabels(); });

    editor.gridsShown.connect(onGrids);
    editor.selectionShown.connect(onSelection);
    editor.overlayShown.connect(onOverlay);
    editor.toolChosen.connect(onTool);
    // {seq, bounds: [[south, west], [north, east]]}; acknowledged after the view is reported, so
    // Python knows the grids of the new view are on their way.
    editor.fitTo.connect((json) => {
      const message = JSON.parse(json);
      map.fitBounds(message.bounds, { animate: false, padding: [24, 24] });
      reportView();
      acknowledge(message.seq);
    });

    // For tests and tools on the Python side (QWebEnginePage.runJavaScript).
    window.gridsightEditor = {
      state: () => ({
        tool,
        level,
        codes: [...features.keys()].sort(),
        pending: [...features.values()].filter((f) => f.properties.pending).map((f) => f.properties.code).sort(),
        selected: selected ? selected.code : null,
        vertexHandles: handles.getLayers().filter((h) => h.options.icon.options.className.includes("vertex")).length,
        edgeHandles: handles.getLayers().filter((h) => h.options.icon.options.className.includes("edge")).length,
        overlays: Object.fromEntries(Object.entries(overlays).map(([n, g]) => [n, g.getLayers().length])),
        drawing: map.pm.globalDrawModeEnabled(),
        labels: labels.getLayers().length,
      }),
      // Play a gesture through this page's own handlers, as a mouse would end it.
      dragHandle: (kind, index, lon, lat) => {
        const handle = handles.getLayers().filter((h) => h.options.icon.options.className.includes(kind))[index];
        handle.setLatLng([lat, lon]);
        handle.fire("dragend", { target: handle });
      },
      finishDrawing: (shape, lonlats) => {
        const latlngs = lonlats.map(([lon, lat]) => [lat, lon]);
        const layer = shape === "Line" ? L.polyline(latlngs) : L.polygon(latlngs);
        map.fire("pm:create", { shape, layer: layer.addTo(map) });
      },
    };
    editor.pageReady();
  }

  (window.gridsightExtensions ||= []).push((map, objects) => {
    if (!objects.editor) return;
    geomanLoaded.then(() => setup(map, objects.editor)).catch((err) => console.error(err.message));
  });
})();
