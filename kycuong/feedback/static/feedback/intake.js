// Public feedback form: optional geolocation button and hiding contact fields when anonymous.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("feedback-form");
    if (!form) { return; }
    var anon = form.querySelector("[name=is_anonymous]");
    var contact = document.getElementById("contact-fields");
    function sync() { if (anon && contact) { contact.hidden = anon.checked; } }
    if (anon) { anon.addEventListener("change", sync); sync(); }
    var btn = document.getElementById("use-location");
    if (btn && navigator.geolocation) {
      btn.hidden = false;
      btn.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(6);
          form.querySelector("[name=long]").value = pos.coords.longitude.toFixed(6);
        });
      });
    }
  });
})();
