// /gestion/insertar/<pk>/: "Copiar código" copies the textarea's code. Without JavaScript the button stays
// hidden and the readonly textarea can be selected and copied by hand.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var area = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    button.hidden = false;
    button.addEventListener("click", function () {
      area.select();
      var done = function () { status.textContent = "Copiado."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
}());
