// The session page's live panel: polls the admin's progress.json and redraws the counts, bar, chart and failures.
// Plain JavaScript, no library: the data comes from the page (json_script) first, then from the endpoint.
(function () {
  "use strict";
  var panel = document.getElementById("session-progress");
  var initial = document.getElementById("session-progress-data");
  if (!panel || !initial) return;
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = {sent: "#a5d6a7", delivered: "#43a047", read: "#1b5e20"};

  function field(name) { return panel.querySelector('[data-field="' + name + '"]'); }
  function pct(value) { return (Math.round(value * 10) / 10).toString(); }
  function minuteLabel(iso) { var d = new Date(iso); return d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}); }

  function drawChart(rows) {
    var svg = panel.querySelector("#session-chart svg");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    field("chart_empty").hidden = rows.length > 0;
    svg.style.display = rows.length ? "" : "none";
    field("chart_start").textContent = rows.length ? minuteLabel(rows[0].minute) : "";
    field("chart_end").textContent = rows.length ? minuteLabel(rows[rows.length - 1].minute) : "";
    if (!rows.length) { field("chart_peak").textContent = ""; return; }
    var peak = 1;
    rows.forEach(function (r) { peak = Math.max(peak, r.sent, r.delivered, r.read); });
    field("chart_peak").textContent = "peak " + peak + "/min";
    // One group of three bars a minute (sent, delivered, read), as wide as the minutes allow.
    var slot = 600 / rows.length;
    var width = Math.min(slot / 3.5, 40);
    rows.forEach(function (r, i) {
      ["sent", "delivered", "read"].forEach(function (name, k) {
        if (!r[name]) return;
        var height = 150 * r[name] / peak;
        var bar = document.createElementNS(SVG, "rect");
        bar.setAttribute("x", (i * slot + (slot - 3 * width) / 2 + k * width).toFixed(2));
        bar.setAttribute("y", (160 - height).toFixed(2));
        bar.setAttribute("width", width.toFixed(2));
        bar.setAttribute("height", height.toFixed(2));
        bar.setAttribute("fill", COLORS[name]);
        bar.setAttribute("data-series", name);
        var title = document.createElementNS(SVG, "title");
        title.textContent = minuteLabel(r.minute) + ": " + r[name] + " " + name;
        bar.appendChild(title);
        svg.appendChild(bar);
      });
    });
  }

  function render(data) {
    var p = data.progress;
    field("status_label").textContent = data.status_label;
    field("status_label").className = data.status_class;
    field("live").textContent = data.live_note;
    var error = field("error");
    error.textContent = data.error;
    error.hidden = !data.error;
    var bar = field("bar");
    while (bar.firstChild) bar.removeChild(bar.firstChild);
    p.segments.forEach(function (s) {
      if (!s.count) return;
      var span = document.createElement("span");
      span.className = "gw-" + s.status;
      span.style.width = s.percent + "%";
      span.title = s.status + ": " + s.count;
      bar.appendChild(span);
    });
    panel.querySelector('[data-count="total"]').textContent = p.total;
    Object.keys(p.counts).forEach(function (name) {
      var cell = panel.querySelector('[data-count="' + name + '"]');
      if (cell) cell.textContent = p.counts[name] + " (" + pct(p.percents[name]) + "%)";
    });
    var body = panel.querySelector("#failure-reasons tbody");
    while (body.firstChild) body.removeChild(body.firstChild);
    if (!data.failures.length) {
      var empty = body.insertRow();
      var cell = empty.insertCell();
      cell.colSpan = 3; cell.className = "gw-quiet"; cell.textContent = "No failure.";
    }
    data.failures.forEach(function (f) {
      var row = body.insertRow();
      row.insertCell().textContent = f.code || "\u2014";
      row.insertCell().textContent = f.title;
      var link = document.createElement("a");
      link.href = f.url; link.textContent = f.count;
      row.insertCell().appendChild(link);
    });
    document.querySelectorAll("#session-toolbar form[data-operation]").forEach(function (form) {
      form.hidden = data.operations.indexOf(form.getAttribute("data-operation")) < 0;
    });
    drawChart(data.per_minute);
  }

  function poll(seconds) {
    window.setTimeout(function () {
      if (document.hidden) { poll(seconds); return; }
      fetch(panel.getAttribute("data-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
        .then(function (data) { render(data); poll(data.poll_seconds); })
        .catch(function () { field("live").textContent = "could not refresh; retrying"; poll(Math.min(seconds * 2, 60)); });
    }, seconds * 1000);
  }

  document.querySelectorAll("#session-toolbar button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  var data = JSON.parse(initial.textContent);
  render(data);
  poll(data.poll_seconds);
})();
