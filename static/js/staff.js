// Back office behaviour, loaded on every /gestion/ page (no inline scripts: the Content-Security-Policy
// allows only our own files). Each part runs only where its elements exist.
(function () {
  "use strict";

  // After a form comes back with errors, put the cursor on the first field to fix.
  var bad = document.querySelector('[aria-invalid="true"]');
  if (bad) { bad.focus(); }

  // The queue's and the hoja's keyboard shortcuts ("/" to the search among them) are in shortcuts.js.

  // Answer page: templates, channel-dependent fields, confirmation before sending.
  var answer = document.getElementById("answer-form");
  if (!answer) { return; }
  var bodiesNode = document.getElementById("template-bodies");
  var bodies = bodiesNode ? JSON.parse(bodiesNode.textContent) : {};
  var text = answer.querySelector("textarea");
  var picker = document.getElementById("plantilla");
  var send = document.getElementById("send-button");
  var letterBox = document.getElementById("letter-date");
  var radios = answer.querySelectorAll('input[type="radio"][name="channel"]');

  function channel() { var c = ""; radios.forEach(function (r) { if (r.checked) { c = r.value; } }); return c; }
  function updateChannel() {
    var isLetter = channel() === "letter";
    letterBox.hidden = !isLetter;
    send.textContent = isLetter ? "Registrar la carta" : "Enviar por correo";
  }
  // "Usar plantilla" inserts the template where the cursor was (or at the end if the agent never placed one),
  // never over what was typed; without this script the button posts the draft and the server appends it.
  var templateButton = document.getElementById("template-button");
  var placed = false;  // has the agent put the cursor in the text yet?
  ["focus", "click", "keyup", "select"].forEach(function (name) {
    text.addEventListener(name, function () { placed = true; });
  });
  if (picker && templateButton) {
    templateButton.addEventListener("click", function (event) {
      var body = bodies[picker.value];
      if (body === undefined) { return; }  // no template chosen: the server says to pick one
      event.preventDefault();
      var value = text.value;
      var at = placed ? text.selectionEnd : value.length;
      var before = value.slice(0, at);
      var after = value.slice(at);
      // Keep the template in paragraphs of its own when it lands next to typed text.
      var lead = before.trim() ? (/\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n")) : "";
      var tail = after.trim() ? (/^\n\n/.test(after) ? "" : (/^\n/.test(after) ? "\n" : "\n\n")) : "";
      text.value = before + lead + body + tail + after;
      var caret = (before + lead + body).length;
      text.focus();
      text.setSelectionRange(caret, caret);
      text.dispatchEvent(new Event("input"));  // the character counter follows
    });
  }
  send.addEventListener("click", function (event) {
    if (!window.confirm(send.dataset.confirm)) { event.preventDefault(); }
  });
  radios.forEach(function (r) { r.addEventListener("change", updateChannel); });
  updateChannel();
  var preview = document.getElementById("vista-previa");
  if (preview) { preview.focus(); }
})();
