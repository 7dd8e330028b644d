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

  // The submission key survives Back: a browser that reloads this page after the confirmation would get a new
  // key from the server, and "Enviar" would file the same hoja twice. The first key this tab saw for this book
  // is reused; the server files a new hoja only when the content differs (services.filing).
  var keyField = form.querySelector('input[name="submission_key"]');
  var keyName = "hoja-submission-key:" + window.location.pathname;
  try {
    var saved = window.sessionStorage.getItem(keyName);
    if (saved && keyField) { keyField.value = saved; }
    else if (keyField && keyField.value) { window.sessionStorage.setItem(keyName, keyField.value); }
  } catch (error) { /* storage disabled: double clicks are still caught by the key in the page */ }

  var button = document.getElementById("enviar");
  var buttonText = button ? button.textContent : "";
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("disabled");
      button.textContent = "Enviando…";
    }
  });
  // Back to this page from the browser's memory (bfcache): it must be sendable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    sending = false;
    if (button) {
      button.removeAttribute("aria-disabled");
      button.classList.remove("disabled");
      button.textContent = buttonText;
    }
  });
})();
