// "Imprimir" buttons (no inline handlers, so a strict Content-Security-Policy can be added later).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
