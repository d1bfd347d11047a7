// Map (Leaflet over a bundled Natural Earth basemap) and timeline (SVG) of the events in #kg-map-config's
// "events" URL, with filters by actor, event type and date range. No inline script: the page's CSP allows
// scripts from this server only.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("kg-map-config").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const PALETTE = ["#b23a2b", "#1f4fa0", "#1f6f43", "#a35a00", "#7a2fa0", "#0d6b6b", "#a01f4f", "#5b6475"];
  const colours = {};
  const colour = (type) => colours[type] || (colours[type] = PALETTE[Object.keys(colours).length % PALETTE.length]);

  const map = L.map("kg-map", { worldCopyJump: true, minZoom: 2 }).setView([35, 38], 5);
  map.createPane("basemap").style.zIndex = 150; // under the tile pane (200): tiles, when reachable, cover it
  map.attributionControl.addAttribution("Basemap: Natural Earth");
  fetch(cfg.basemap).then((r) => r.json()).then((topo) => {
    L.geoJSON(topojson.feature(topo, topo.objects.countries), {
      pane: "basemap", renderer: L.svg({ pane: "basemap" }), interactive: false,
      style: { color: "#9a9486", weight: 1, fillColor: "#ebe6d9", fillOpacity: 1 },
    }).addTo(map);
  });
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles, { maxZoom: 18, attribution: cfg.attribution || "" }).addTo(map);
  }
  const markers = L.featureGroup().addTo(map);

  const el = (id) => document.getElementById(id);
  const filters = { actor: el("filter-actor"), type: el("filter-type"), from: el("filter-from"), to: el("filter-to") };
  let events = [];

  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = value; o.textContent = text; select.appendChild(o);
  }

  function selected() {
    const a = filters.actor.value, t = filters.type.value, f = filters.from.value, to = filters.to.value;
    return events.filter((e) => (!a || e.actors.some((x) => x.iri === a)) && (!t || e.type === t) &&
      (!f || (e.date && e.date.slice(0, 10) >= f)) && (!to || (e.date && e.date.slice(0, 10) <= to)));
  }

  function popup(e) {
    const div = document.createElement("div");
    const title = document.createElement(e.href ? "a" : "b");
    if (e.href) title.href = e.href;
    title.textContent = e.label || e.type;
    div.appendChild(title);
    const meta = document.createElement("div");
    meta.textContent = [e.type, e.date || "date unknown", e.place ? e.place.label : ""].filter(Boolean).join(" · ");
    div.appendChild(meta);
    return div;
  }

  function drawMap(list) {
    markers.clearLayers();
    list.filter((e) => e.place).forEach((e) => {
      L.circleMarker([e.place.lat, e.place.lon], {
        radius: 7, color: "#222", weight: 1, fillColor: colour(e.type), fillOpacity: 0.85, className: "kg-marker",
      }).bindPopup(popup(e)).addTo(markers);
    });
    if (markers.getLayers().length) map.fitBounds(markers.getBounds().pad(0.3), { maxZoom: 7 });
  }

  function svg(name, attrs, parent) {
    const n = document.createElementNS(SVG, name);
    Object.entries(attrs).forEach(([k, v]) => n.setAttribute(k, v));
    if (parent) parent.appendChild(n);
    return n;
  }

  function drawTimeline(list) {
    const box = el("kg-timeline");
    box.textContent = "";
    const dated = list.filter((e) => e.date);
    const types = [...new Set(dated.map((e) => e.type))].sort();
    const width = Math.max(box.clientWidth || 900, 400), left = 130, right = 50, row = 26, top = 10;
    const height = top + types.length * row + 30;
    const root = svg("svg", { width: width, height: height, viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": "timeline of events by type", class: "timeline" }, box);
    if (!dated.length) {
      const t = svg("text", { x: 10, y: 20, class: "timeline-empty" }, root);
      t.textContent = "no dated events";
      return;
    }
    // a date is a span: a day, a month ("2024-12") or a year ("2024"), drawn from its first to its last day
    const DAY = 86400000;
    const span = (d) => {
      const [y, m] = [Number(d.slice(0, 4)), Number(d.slice(5, 7))];
      if (d.length === 4) return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1)];
      if (d.length === 7) return [Date.UTC(y, m - 1, 1), Date.UTC(y, m, 1)];
      const t = Date.parse(d.slice(0, 10));
      return [t, t + DAY];
    };
    let lo = Math.min(...dated.map((e) => span(e.date)[0])), hi = Math.max(...dated.map((e) => span(e.date)[1]));
    if (hi - lo < 14 * DAY) { const mid = (lo + hi) / 2; lo = mid - 7 * DAY; hi = mid + 7 * DAY; }
    lo -= DAY; hi += DAY;
    const x = (t) => left + (t - lo) / (hi - lo) * (width - left - right);
    types.forEach((type, i) => {
      const y = top + i * row;
      svg("line", { x1: left, x2: width - right, y1: y + row / 2, y2: y + row / 2, class: "timeline-row" }, root);
      const label = svg("text", { x: left - 8, y: y + row / 2 + 4, "text-anchor": "end", class: "timeline-type" }, root);
      label.textContent = type;
    });
    const axisY = top + types.length * row + 4;
    const ticks = new Set();
    for (let k = 0; k <= 5; k++) {
      const label = new Date(lo + (hi - lo) * k / 5).toISOString().slice(0, 10);
      if (ticks.has(label)) continue;
      ticks.add(label);
      const tick = svg("text", { x: x(Date.parse(label)), y: axisY + 14, "text-anchor": "middle",
        class: "timeline-tick" }, root);
      tick.textContent = label;
    }
    dated.forEach((e) => {
      const [start, end] = span(e.date);
      const y = top + types.indexOf(e.type) * row + 4;
      const parent = e.href ? svg("a", { href: e.href }, root) : root;
      const bar = svg("rect", { x: x(start), y: y, width: Math.max(5, x(end) - x(start)), height: row - 8, rx: 2,
        fill: colour(e.type), class: "kg-bar" + (e.reported ? " reported" : "") }, parent);
      svg("title", {}, bar).textContent = `${e.label || e.type} — ${e.date}${e.reported ? " (report's date)" : ""}`;
    });
  }

  function redraw() {
    const list = selected();
    drawMap(list);
    drawTimeline(list);
    const undated = list.filter((e) => !e.date).length, placed = list.filter((e) => e.place).length;
    el("events-count").textContent = `${list.length} events · ${placed} on the map · ${undated} undated`;
  }

  fetch(cfg.events).then((r) => r.json()).then((data) => {
    events = data.events;
    const actors = new Map();
    events.forEach((e) => e.actors.forEach((a) => actors.set(a.iri, a.label || a.iri)));
    [...actors].sort((a, b) => a[1].localeCompare(b[1])).forEach(([iri, label]) => option(filters.actor, iri, label));
    [...new Set(events.map((e) => e.type))].sort().forEach((t) => option(filters.type, t, t));
    // filters can be given in the page's URL (events_actor, events_type, events_from, events_to), and changing
    // one writes it there, so a filtered view can be shared
    const params = new URLSearchParams(window.location.search);
    Object.entries(filters).forEach(([name, f]) => {
      if (params.get("events_" + name)) f.value = params.get("events_" + name);
      f.addEventListener("change", () => {
        const p = new URLSearchParams(window.location.search);
        if (f.value) p.set("events_" + name, f.value); else p.delete("events_" + name);
        window.history.replaceState(null, "", "?" + p.toString() + window.location.hash);
        redraw();
      });
    });
    redraw();
  });
})();
