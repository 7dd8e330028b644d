// The embedded book (book.embed): inside a store's iframe, links that leave the filing flow (tracking page,
// privacy, lookup) open in a new tab, where the portal's pages may be shown (they refuse to be framed).
(function () {
  "use strict";
  if (window.top === window.self) { return; }
  var flow = /^\/libro\/[^/]+\/insertado\//;
  document.querySelectorAll("a[href]").forEach(function (link) {
    var url = new URL(link.href, window.location.href);
    var download = /\.pdf$/.test(url.pathname) && !url.search;
    if (url.origin === window.location.origin && (flow.test(url.pathname) || download || url.hash && url.pathname === window.location.pathname)) {
      return;
    }
    link.target = "_blank";
    link.rel = "noopener";
  });
}());
