/* geo: draws the choropleth and its layers from the JSON in #geo-data. Every text from data is set with
   textContent (or escaped before Leaflet's innerHTML), so names in the data can never run as HTML. */
(function () {
  "use strict";
  var root = document.documentElement;
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); root.dataset.geoErrors = errors.length; });
  window.addEventListener("unhandledrejection", function (e) { errors.push(String(e.reason)); root.dataset.geoErrors = errors.length; });

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function control(position, node) {
    var c = L.control({ position: position });
    c.onAdd = function () { L.DomEvent.disableClickPropagation(node); L.DomEvent.disableScrollPropagation(node); return node; };
    return c;
  }

  var D = JSON.parse(document.getElementById("geo-data").textContent);

  // the areas' TopoJSON travels as base64 of a zlib stream (#geo-topo) and is inflated by the browser itself;
  // a browser without DecompressionStream gets a message naming the versions that can open the map
  var NEEDS = "この地図を表示するには、次のいずれかの新しいブラウザが必要です：Microsoft Edge 80 以降、" +
              "Google Chrome 80 以降、Firefox 113 以降、Safari 16.4 以降。" +
              "お使いのブラウザは地図データの展開（DecompressionStream）に対応していません。";
  function notice(text) {
    var box = el("div", "geo-unsupported", text);
    box.setAttribute("role", "alert");
    document.getElementById("map").appendChild(box);
  }
  function unsupported() { notice(NEEDS); root.dataset.geoUnsupported = "1"; }
  function inflate(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).text();
  }
  if (typeof window.DecompressionStream !== "function") { unsupported(); return; }
  inflate(document.getElementById("geo-topo").textContent).then(function (text) { return JSON.parse(text); })
    .then(draw, function (e) {
      notice("地図データを展開できませんでした（" + e + "）。ファイルが途中で切れていないか確かめてください。");
      throw e;  // reported as an unhandled rejection (data-geo-errors); the ready flag is never set
    });

  function draw(topo) {
    var map = L.map("map", { attributionControl: false, zoomSnap: 0.25, minZoom: 3, maxZoom: 18 });
    // credits and scale bar share the bottom-left corner, stacked (controls of one corner never overlap); the
    // credits wrap left of the legend instead of running under it (see fitCredits)
    var attribution = L.control.attribution({ prefix: false, position: "bottomleft" }).addTo(map);
    D.attribution.forEach(function (a) { attribution.addAttribution(esc(a)); });
    var tiles = null;
    if (D.tiles) {
      // optional online background: off unless asked for; offline its tiles simply fail and the map stays as is
      tiles = L.tileLayer(D.tiles.url, { attribution: esc(D.tiles.attribution), maxZoom: 18, errorTileUrl: "" });
      tiles.addTo(map);
    }

    // choropleth
    var A = D.areas, S = D.style, colors = D.classes.colors, nodata = D.classes.nodata;
    var features = topojson.feature(topo, topo.objects.areas).features;
    features.forEach(function (f, i) { f.properties = { i: i }; });
    function areaStyle(f) {
      var c = A.cls[f.properties.i];
      return { fillColor: c < 0 ? nodata : colors[c], fillOpacity: S.fill_opacity, color: S.edge_color,
               weight: S.edge_width, opacity: 1 };
    }
    var areas = L.geoJSON({ type: "FeatureCollection", features: features },
                          { style: areaStyle, className: "geo-area", smoothFactor: 0.5 });
    areas.bindTooltip(function (layer) {
      var i = layer.feature.properties.i;
      var box = el("div");
      box.appendChild(el("div", "geo-tip-name", A.name[i]));
      box.appendChild(el("div", "geo-tip-row", D.column + "：" + A.value[i]));
      box.appendChild(el("div", "geo-tip-row", A.rank[i] === null ? "順位なし" : A.total + "中 " + A.rank[i].toLocaleString("ja-JP") + "位"));
      return box;
    }, { sticky: true, className: "geo-tip", direction: "top" });
    areas.on("mouseover", function (e) {
      e.layer.setStyle({ color: S.highlight_color, weight: S.highlight_width });
      e.layer.bringToFront();
    });
    areas.on("mouseout", function (e) { areas.resetStyle(e.layer); });
    areas.addTo(map);
    var overlays = [["塗り分け：" + D.column, areas]];

    function labelMarker(lat, lon, text, st, beside) {
      var span = el("span", null, text);
      span.style.fontSize = st.size + "px";
      span.style.color = st.color;
      // a point's name sits right of its marker, never on it
      if (beside) {
        span.dataset.right = "translate(" + Math.round(beside + 4) + "px, -50%)";
        span.dataset.left = "translate(calc(-100% - " + Math.round(beside + 4) + "px), -50%)";
        span.style.transform = span.dataset.right;
      }
      // point names (hubs, sites) are placed first when labels collide: class geo-label-pt
      return L.marker([lat, lon], { icon: L.divIcon({ className: beside ? "geo-label geo-label-pt" : "geo-label",
                                                       html: span, iconSize: null }),
                                    interactive: false, keyboard: false });
    }
    function labelGroup(lab, beside) {
      var g = L.layerGroup();
      for (var j = 0; j < lab.text.length; j++) {
        g.addLayer(labelMarker(lab.lat[j], lab.lon[j], lab.text[j], lab.style, beside));
      }
      return g;
    }
    function markerIcon(st) {
      var d = el("div");
      var size = Math.round(2 * st.radius);
      d.style.width = d.style.height = size + "px";
      d.style.background = st.fill_color;
      d.style.opacity = st.fill_opacity;
      if (st.marker === "^") { d.style.clipPath = "polygon(50% 0, 100% 100%, 0 100%)"; }
      else { d.style.border = st.weight + "px solid " + st.color; d.style.boxSizing = "border-box"; }
      return L.divIcon({ className: "geo-mk", html: d, iconSize: [size, size] });
    }
    function tipFor(L0, j) {
      return function () {
        var box = el("div");
        L0.tipcols.forEach(function (col, k) { box.appendChild(el("div", "geo-tip-row", col + "：" + L0.tips[j][k])); });
        return box;
      };
    }

    // drawn state: `pending` counts what must finish before the page says it is ready (the map itself, and each
    // shown marker-cluster group); at zero, two animation frames later the first complete frame has been painted
    var pending = 1;
    function settle() {
      pending -= 1;
      if (pending !== 0) { return; }
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          root.dataset.geoReadyMs = Math.round(performance.now());
          root.dataset.geoReady = "1";
        });
      });
    }
    function clustered() {
      var done = false;
      return function (processed, total) { if (!done && processed >= total) { done = true; settle(); } };
    }

    // extra layers, in the order given
    D.layers.forEach(function (L0) {
      var st = L0.style, group;
      if (L0.kind === "points") {
        var opts = { radius: st.radius, color: st.color, weight: st.weight, fillColor: st.fill_color,
                     fillOpacity: st.fill_opacity, className: "geo-point" };
        // clusters are built in chunks over several frames after the map gets its view: the page is drawn only
        // when every shown cluster group has placed all its markers (chunkProgress reports done === total)
        var waits = L0.cluster && L0.show && L0.lat.length > 0;
        if (waits) { pending += 1; }
        group = L0.cluster ? L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false,
                                                    chunkProgress: waits ? clustered() : null })
                           : L.featureGroup();
        var markers = [];
        var shaped = st.marker !== "o";  // squares and triangles, as in the static maps
        for (var j = 0; j < L0.lat.length; j++) {
          var m = shaped ? L.marker([L0.lat[j], L0.lon[j]], { icon: markerIcon(st), keyboard: false })
                         : L.circleMarker([L0.lat[j], L0.lon[j]], opts);
          if (L0.tipcols.length) { m.bindTooltip(tipFor(L0, j), { className: "geo-tip" }); }
          markers.push(m);
        }
        if (L0.cluster) { group.addLayers(markers); } else { markers.forEach(function (m) { group.addLayer(m); }); }
        if (L0.text) {
          group = L.layerGroup([group, labelGroup({ text: L0.text, lat: L0.lat, lon: L0.lon, style: D.labels.style },
                                                  st.radius + st.weight)]);
        }
      } else if (L0.kind === "labels") {
        group = labelGroup({ text: L0.text, lat: L0.lat, lon: L0.lon, style: st });
      } else {
        var fs = topojson.feature(topo, topo.objects[L0.object]).features;
        fs.forEach(function (f, j) { f.properties = { j: j }; });
        if (L0.ring) {  // widest rings first, so the inner ones stay on top
          fs.sort(function (a, b) { return L0.ring[b.properties.j] - L0.ring[a.properties.j] || a.properties.j - b.properties.j; });
        }
        var outline = L0.kind === "outline";
        group = L.geoJSON({ type: "FeatureCollection", features: fs }, {
          className: "geo-" + L0.kind, interactive: L0.tipcols.length > 0,
          style: function (f) {
            var s = L0.ring ? L0.ringStyles[L0.ring[f.properties.j]] : st;
            return { color: s.color, weight: s.weight, dashArray: s.dash, fill: !outline && !!s.fill_color,
                     fillColor: s.fill_color, fillOpacity: s.fill_opacity };
          }
        });
        if (L0.tipcols.length) {
          group.bindTooltip(function (layer) { return tipFor(L0, layer.feature.properties.j)(); }, { sticky: true, className: "geo-tip" });
        }
        if (L0.labels) {
          var both = L.layerGroup([group, labelGroup(L0.labels)]);
          group = both;
        }
      }
      if (L0.show) { group.addTo(map); }
      overlays.push([L0.name, group]);
    });

    // the areas' names (1,906 markers nationally, hidden by default there) are built when first shown, not at load
    var labels = L.layerGroup(), labelsBuilt = false;
    function buildLabels() {
      if (labelsBuilt) { return; }
      labelsBuilt = true;
      labelGroup({ text: D.labels.text, lat: D.labels.lat, lon: D.labels.lon, style: D.labels.style })
        .eachLayer(function (m) { labels.addLayer(m); });  // on the map already: each is drawn as it joins
    }
    labels.on("add", buildLabels);
    if (D.labels.show) { labels.addTo(map); }
    overlays.push([D.labels.name, labels]);

    if (tiles) { overlays.push([D.tiles.name, tiles]); }
    var layerControl = L.control.layers(null, null, { collapsed: false, position: "topright" });
    overlays.forEach(function (o) { layerControl.addOverlay(o[1], esc(o[0])); });
    layerControl.addTo(map);

    if (D.title) { control("topleft", el("div", "geo-title", D.title)).addTo(map); }
    var legend = document.getElementById("geo-legend");
    control("bottomright", legend).addTo(map);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    function fitCredits() {
      var credit = attribution.getContainer();
      var room = map.getContainer().clientWidth - legend.offsetWidth - 40;
      credit.style.maxWidth = Math.max(room, 120) + "px";
    }
    fitCredits();
    map.on("resize", fitCredits);

    // labels never collide: after every move, zoom or layer switch, names are kept in order (point names
    // first, then the areas' names in their given order) and one that would overlap a kept one is hidden
    function declutter() {
      var spans = Array.prototype.slice.call(root.querySelectorAll(".geo-label-pt span"))
        .concat(Array.prototype.slice.call(root.querySelectorAll(".geo-label:not(.geo-label-pt) span")));
      // the markers themselves are never covered by a name
      var kept = Array.prototype.map.call(root.querySelectorAll(".geo-mk"), function (m) {
        return m.getBoundingClientRect();
      });
      function hits(r) {
        return kept.some(function (k) {
          return r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top;
        });
      }
      spans.forEach(function (s) {
        s.style.visibility = "";
        // a point's name goes right of its marker, else left of it, else it gives way
        var sides = s.dataset.right ? [s.dataset.right, s.dataset.left] : [null];
        for (var i = 0; i < sides.length; i++) {
          if (sides[i]) { s.style.transform = sides[i]; }
          var r = s.getBoundingClientRect();
          if (!r.width) { return; }
          if (!hits(r)) { kept.push(r); return; }
        }
        s.style.visibility = "hidden";
      });
    }
    map.on("zoomend moveend overlayadd overlayremove", declutter);

    map.fitBounds(D.bounds, { padding: [10, 10] });
    declutter();
    window.geoMap = map;
    root.dataset.geoAreas = features.length;
    // ready once the first frame with every shape (clusters included) has been painted, not merely built
    settle();
  }
})();
