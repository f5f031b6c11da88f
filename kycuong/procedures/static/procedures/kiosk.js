// Kiosk on-screen keypad: tap a field, then tap keys (no system keyboard needed).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-keypad-form]");
    if (!form) return;
    var inputs = form.querySelectorAll("[data-keypad-input]");
    var active = inputs[0];
    function activate(input) {
      active = input;
      inputs.forEach(function (i) { i.closest(".keypad-target").classList.toggle("active", i === input); });
    }
    inputs.forEach(function (input) {
      input.closest(".keypad-target").addEventListener("click", function () { activate(input); });
    });
    if (active) {
      // Start on the first empty field.
      var empty = Array.prototype.find.call(inputs, function (i) { return !i.value; });
      activate(empty || active);
    }
    form.addEventListener("click", function (e) {
      var key = e.target.closest && e.target.closest("[data-key]");
      if (!key || !active) return;
      var k = key.getAttribute("data-key");
      if (k === "back") active.value = active.value.slice(0, -1);
      else if (k === "clear") active.value = "";
      else if (active.value.length < 40) active.value += k;
      // A complete dossier code ends in -YYMMDD-NNNN: move on to the secret.
      if (active === inputs[0] && /-\d{6}-\d{4}$/.test(active.value) && inputs[1]) activate(inputs[1]);
    });
  });
})();
