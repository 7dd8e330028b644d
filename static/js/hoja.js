// Complaint form: show the parent/guardian block only for minors (visible without JavaScript),
// move focus to the error summary, and stop a double click from sending the form twice.
(function () {
  "use strict";
  var form = document.getElementById("hoja-form");
  if (!form) return;

  var minor = document.getElementById("id_is_minor");
  var guardian = document.getElementById("guardian-fields");
  function syncGuardian() {
    guardian.hidden = !minor.checked;
    minor.setAttribute("aria-expanded", minor.checked ? "true" : "false");
  }
  if (minor && guardian) {
    minor.addEventListener("change", syncGuardian);
    syncGuardian();
  }

  var summary = document.getElementById("resumen-errores");
  if (summary) summary.focus();

  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
    var button = document.getElementById("enviar");
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("disabled");
      button.textContent = "Enviando…";
    }
  });
})();
