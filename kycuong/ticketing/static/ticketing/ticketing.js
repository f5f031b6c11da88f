// Kiosk ticket page: print button and automatic printing on a kiosk (run the kiosk browser with
// --kiosk-printing to print silently on the 80 mm receipt printer).
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest("[data-print]");
    if (el) { e.preventDefault(); window.print(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.getAttribute("data-autoprint") === "1" && !navigator.webdriver) {
      setTimeout(function () { window.print(); }, 300);
    }
  });
})();
