// Kỷ cương: small progressive enhancements; pages work without JavaScript.
(function () {
  "use strict";
  // Kiosk pages: return to the start page after inactivity (data-idle-reset="seconds").
  function setupIdleReset() {
    var body = document.body;
    var seconds = parseInt(body.getAttribute("data-idle-reset") || "0", 10);
    if (!seconds) return;
    var target = body.getAttribute("data-idle-url") || "/";
    var timer;
    function reset() {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.href = target; }, seconds * 1000);
    }
    ["click", "touchstart", "keydown", "input"].forEach(function (ev) { document.addEventListener(ev, reset, { passive: true }); });
    reset();
  }
  // Keyboard shortcuts: elements with data-shortcut="n" are clicked when that key is pressed
  // outside form fields (counter console).
  function setupShortcuts() {
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var tag = (e.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select") return;
      var el = document.querySelector('[data-shortcut="' + e.key.toLowerCase() + '"]');
      if (el) { e.preventDefault(); el.click(); }
    });
  }
  // Confirm buttons: data-confirm="message".
  document.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); }
  });
  // Header menus: one open at a time; a click outside or Escape closes them.
  function setupMenus() {
    var groups = Array.prototype.slice.call(document.querySelectorAll("details.nav-group"));
    groups.forEach(function (g) {
      g.addEventListener("toggle", function () {
        if (g.open) groups.forEach(function (o) { if (o !== g) o.open = false; });
      });
    });
    document.addEventListener("click", function (e) {
      groups.forEach(function (g) { if (!g.contains(e.target)) g.open = false; });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") groups.forEach(function (g) { if (g.open) { g.open = false; g.querySelector("summary").focus(); } });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setupIdleReset(); setupShortcuts(); setupMenus(); });
})();
