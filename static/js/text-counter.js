// A live character count under every textarea with data-max-chars. The browser's own maxlength is not used:
// it would silently cut a paste at the limit. Characters are counted as the server counts them (code points,
// a line break is one), so the count and the server's verdict always agree.
(function () {
  "use strict";
  function length(value) { return Array.from(value.replace(/\r\n/g, "\n")).length; }

  document.querySelectorAll("textarea[data-max-chars]").forEach(function (area) {
    var max = parseInt(area.getAttribute("data-max-chars"), 10);
    var count = document.createElement("div");
    count.className = "form-text char-count text-end";
    count.id = area.id + "-count";
    var alert = document.createElement("div");
    alert.className = "visually-hidden";
    alert.setAttribute("role", "status");
    area.insertAdjacentElement("afterend", count);
    count.insertAdjacentElement("afterend", alert);
    var described = (area.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(count.id);
    area.setAttribute("aria-describedby", described.join(" "));
    var wasOver = false;

    function update() {
      var n = length(area.value);
      var over = n > max;
      count.textContent = over
        ? n + " / " + max + " caracteres: te pasaste por " + (n - max) + ". Acórtalo para poder enviarlo."
        : n + " / " + max + " caracteres";
      count.classList.toggle("text-danger", over);
      count.classList.toggle("fw-semibold", over);
      if (over !== wasOver) {
        alert.textContent = over ? "El texto supera los " + max + " caracteres." : "";
        wasOver = over;
      }
    }
    area.addEventListener("input", update);
    update();
  });
})();
