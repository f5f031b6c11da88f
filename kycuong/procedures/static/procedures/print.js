// Print buttons on the one-stop forms (no inline scripts: CSP script-src 'self').
document.addEventListener("click", function (e) {
  var el = e.target.closest && e.target.closest("[data-print]");
  if (el) { e.preventDefault(); window.print(); }
});
