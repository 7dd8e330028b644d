// "Tu exportación" (and the evidence bundle's page): refreshes the progress bar from the job's JSON every few
// seconds until the file is ready (or the job failed), then shows the download link. A JSON that carries its own
// `text` (and `sha256`, shown in [data-export-sha]) is shown as it comes. No inline script: the
// Content-Security-Policy forbids it.
(function () {
  var root = document.querySelector("[data-export-job]");
  if (!root || !window.fetch) { return; }
  var bar = root.querySelector("progress");
  var text = root.querySelector("[data-export-text]");
  var download = root.querySelector("[data-export-download]");
  var refresh = root.querySelector("[data-export-refresh]");
  var number = new Intl.NumberFormat("es-PE");
  var delay = 2000;

  function show(state) {
    var done = render(state);
    if (state.text) { text.textContent = state.text; }
    var sha = root.querySelector("[data-export-sha]");
    if (sha && state.sha256) { sha.textContent = state.sha256; }
    return done;
  }

  function render(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + " %";
    if (state.ready) {
      text.textContent = "Listo: " + number.format(state.rows_done) + " hojas exportadas.";
      download.hidden = false;
      refresh.hidden = true;
      var link = download.querySelector("a");
      if (link && state.download_url) { link.href = state.download_url; }
      return true;
    }
    if (state.expired) {
      text.textContent = "El archivo expiró y se eliminó. Vuelve a exportar desde la bandeja.";
      refresh.hidden = true;
      return true;
    }
    if (state.status === "failed") {
      text.textContent = state.error || "La exportación falló.";
      refresh.hidden = true;
      return true;
    }
    if (state.rows_total) {
      text.textContent = state.status_label + ": " + number.format(state.rows_done) + " de " +
        number.format(state.rows_total) + " hojas (" + state.percent + " %).";
    } else {
      text.textContent = state.status_label + "…";
    }
    return false;
  }

  function poll() {
    fetch(root.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (state) {
        if (!show(state)) { window.setTimeout(poll, delay); }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000); // the server is busy or unreachable: try again later
        window.setTimeout(poll, delay);
      });
  }

  if (!download.hidden || refresh.hidden) { return; } // already ready, failed or expired
  window.setTimeout(poll, delay);
})();
