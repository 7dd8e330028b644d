// Keyboard shortcuts of the back office's queue and hoja pages (templates/reclamaciones/staff/_shortcuts_help.html).
// Our own file, no inline script (the Content-Security-Policy allows only 'self'). Queue: j/k move the row focus,
// Enter or o open the marked hoja, "/" goes to the search; hoja: n the next hoja of the view, r answer; both:
// "?" opens the help. Nothing fires while the user types in a field or holds Ctrl, Alt or Cmd.
(function () {
  "use strict";

  var dialog = document.getElementById("atajos");
  if (!dialog) { return; }
  var page = dialog.getAttribute("data-shortcuts-page");
  var opener = null;

  function openHelp() {
    if (dialog.open) { return; }
    opener = document.activeElement;
    if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    var close = dialog.querySelector("[data-shortcuts-close]");
    if (close) { close.focus(); }
  }
  function closeHelp() {
    if (typeof dialog.close === "function") { dialog.close(); } else { dialog.removeAttribute("open"); }
  }
  dialog.addEventListener("close", function () {
    if (opener && typeof opener.focus === "function") { opener.focus(); }
  });
  document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
    button.addEventListener("click", openHelp);
  });
  dialog.querySelectorAll("[data-shortcuts-close]").forEach(function (button) {
    button.addEventListener("click", closeHelp);
  });
  dialog.addEventListener("click", function (event) {  // a click on the backdrop closes it
    if (event.target === dialog) { closeHelp(); }
  });

  var NOT_TYPED = ["checkbox", "radio", "button", "submit", "reset"];  // inputs one does not type into
  function typing(target) {
    if (!target) { return false; }
    var tag = (target.tagName || "").toLowerCase();
    if (tag === "input") { return NOT_TYPED.indexOf((target.type || "").toLowerCase()) === -1; }
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function visible(element) {
    return !!(element.offsetWidth || element.offsetHeight || element.getClientRects().length);
  }

  // Queue rows: the sheet links of the list shown at this width (table on a laptop, cards on a phone).
  function rowLinks() {
    return Array.prototype.filter.call(document.querySelectorAll(".queue-table .sheet-link, .queue-card .sheet-link"), visible);
  }
  function markRow(link) {
    document.querySelectorAll(".kbd-current").forEach(function (row) { row.classList.remove("kbd-current"); });
    var row = link.closest("tr, li");
    if (row) { row.classList.add("kbd-current"); }
    link.focus();
    if (typeof link.scrollIntoView === "function") { link.scrollIntoView({ block: "nearest" }); }
  }
  function moveRow(step) {
    var links = rowLinks();
    if (!links.length) { return; }
    var at = links.indexOf(document.activeElement);
    var next = at === -1 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
    markRow(links[next]);
  }
  document.addEventListener("focusin", function (event) {  // Tab onto a row marks it as well
    if (page === "queue" && event.target.classList && event.target.classList.contains("sheet-link")) {
      markRow(event.target);
    }
  });

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link && visible(link)) { link.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented || event.isComposing) { return; }
    if (dialog.open || typing(event.target)) { return; }
    var key = event.key;
    var done = false;
    if (key === "?") {
      openHelp();
      done = true;
    } else if (page === "queue") {
      if (key === "j") { moveRow(1); done = true; }
      else if (key === "k") { moveRow(-1); done = true; }
      else if (key === "o") {
        var links = rowLinks();
        var current = links.indexOf(document.activeElement) === -1 ? links[0] : document.activeElement;
        if (current) { current.click(); done = true; }
      } else if (key === "/") {
        var search = document.querySelector("[data-search-shortcut]");
        if (search) { search.focus(); search.select(); done = true; }
      }
    } else if (page === "detail") {
      if (key === "n") { done = follow('[data-shortcut="next"]'); }
      else if (key === "r") { done = follow('[data-shortcut="answer"]'); }
    }
    if (done) { event.preventDefault(); }
  });
})();
