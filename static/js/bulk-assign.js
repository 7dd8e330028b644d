// The queue's bulk assignment (supervisors): "Todas las de esta página" checks every row, a row's two
// checkboxes (table at desktop widths, card on a phone) stay in step, and "N seleccionadas" is announced.
// Without this script the form still works: the server reads the checked rows or, with "Todas las de esta
// página", every row of the page.
(function () {
  "use strict";
  var form = document.querySelector("[data-bulk-assign]");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="hojas"]'));
  var page = form.querySelector("[data-bulk-page]");
  var out = form.querySelector("[data-bulk-count]");
  var idle = out.textContent;
  var values = {};
  boxes.forEach(function (box) { values[box.value] = true; });
  var total = Object.keys(values).length;

  function selected() {
    var set = {};
    boxes.forEach(function (box) { if (box.checked) { set[box.value] = true; } });
    return Object.keys(set).length;
  }
  function update() {
    var n = selected();
    out.textContent = n === 0 ? idle : (n === 1 ? "1 seleccionada" : n + " seleccionadas");
    page.checked = n > 0 && n === total;
    page.indeterminate = n > 0 && n < total;
  }
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      boxes.forEach(function (other) { if (other.value === box.value) { other.checked = box.checked; } });
      update();
    });
  });
  page.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = page.checked; });
    update();
  });
  form.addEventListener("submit", function (event) {
    if (selected() === 0) {
      event.preventDefault();
      out.textContent = "Marca al menos una hoja de la lista.";
      page.focus();
    }
  });
  update();
}());
