// Display board: polls the board JSON every second, re-renders, chimes when a number is called
// or recalled, and keeps trying after network errors (backoff up to 5 s). Built to run unattended
// for days: no growing state, a full reload every 12 hours when the server is reachable.
(function () {
  "use strict";
  var body, url, version, i18n, failures = 0, started = Date.now(), audio = null, timer = null;

  function text(tpl, values) {
    return tpl.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] == null ? "" : String(values[k]); });
  }
  function row(cells, cls) {
    var tr = document.createElement("tr");
    cells.forEach(function (c, i) {
      var td = document.createElement("td");
      td.textContent = c;
      if (cls && cls[i]) td.className = cls[i];
      tr.appendChild(td);
    });
    return tr;
  }
  function replace(tbody, rows) {
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function showSoundButton() {
    var btn = document.getElementById("board-sound");
    if (btn) btn.hidden = false;
  }
  function chime() {
    body.setAttribute("data-chimes", String(parseInt(body.getAttribute("data-chimes") || "0", 10) + 1));
    try {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      if (!audio) audio = new AC();
      if (audio.state === "suspended") { audio.resume(); showSoundButton(); }
      var t = audio.currentTime;
      [[880, 0], [660, 0.4]].forEach(function (p) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = "sine"; o.frequency.value = p[0];
        g.gain.setValueAtTime(0.0001, t + p[1]);
        g.gain.exponentialRampToValueAtTime(0.5, t + p[1] + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + p[1] + 0.7);
        o.connect(g); g.connect(audio.destination);
        o.start(t + p[1]); o.stop(t + p[1] + 0.75);
      });
    } catch (e) { /* no audio device: the flash still shows the call */ }
  }
  function render(d) {
    var serving = document.getElementById("board-serving");
    var rows = d.serving.map(function (s) { return row([s.ticket, "→", s.counter], ["", "arrow", ""]); });
    if (!rows.length) {
      var tr = row([i18n.getAttribute("data-empty")], ["empty"]);
      tr.firstChild.colSpan = 3;
      rows = [tr];
    }
    replace(serving, rows);
    replace(document.getElementById("board-recent"), d.recent.map(function (r) { return row([r.ticket, r.counter]); }));
    document.getElementById("board-waiting").textContent = text(i18n.getAttribute("data-waiting"), { n: d.waiting });
    var latest = document.getElementById("board-latest");
    if (d.latest) {
      latest.hidden = false;
      latest.textContent = text(i18n.getAttribute("data-call"), d.latest);
    } else {
      latest.hidden = true;
    }
    if (d.version !== version) {
      var first = version === null;
      version = d.version;
      body.setAttribute("data-version", version);
      if (!first && d.latest) {
        chime();
        latest.classList.remove("flash"); void latest.offsetWidth; latest.classList.add("flash");
      }
    }
  }
  function setOffline(off) {
    var el = document.getElementById("board-status");
    if (el) el.hidden = !off;
    body.setAttribute("data-online", off ? "0" : "1");
  }
  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }
  function poll() {
    var ctrl = window.AbortController ? new AbortController() : null;
    var abort = setTimeout(function () { if (ctrl) ctrl.abort(); }, 4000);
    fetch(url, { cache: "no-store", credentials: "same-origin", signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (d) {
        clearTimeout(abort);
        failures = 0;
        setOffline(false);
        if (Date.now() - started > 12 * 3600 * 1000) { window.location.reload(); return; }
        render(d);
        schedule(1000);
      })
      .catch(function () {
        clearTimeout(abort);
        failures += 1;
        setOffline(failures >= 2);
        schedule(Math.min(5000, 500 * Math.pow(2, Math.min(failures, 4))));
      });
  }
  function tick() {
    var el = document.getElementById("board-clock");
    var now = new Date();
    if (el) el.textContent = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
  }
  document.addEventListener("DOMContentLoaded", function () {
    body = document.body;
    url = body.getAttribute("data-board-url");
    version = body.getAttribute("data-version");
    i18n = document.getElementById("board-i18n");
    var btn = document.getElementById("board-sound");
    if (btn) btn.addEventListener("click", function () {
      try { var AC = window.AudioContext || window.webkitAudioContext; if (!audio && AC) audio = new AC(); if (audio) audio.resume(); } catch (e) { /* ignore */ }
      btn.hidden = true;
    });
    window.addEventListener("online", function () { schedule(0); });
    setInterval(tick, 1000);
    schedule(1000);
  });
})();
