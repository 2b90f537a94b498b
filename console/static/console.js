// rowflow console: live updates over Server-Sent Events (no polling).
// An element with data-live="<events url>" listens: on the automation page
// each "run" event upserts a row of the run list; on the run page it
// replaces the run's live part. "reload" asks for a fresh page (events may
// have been missed).
(function () {
  "use strict";
  function fromHTML(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }
  function listen(el) {
    var es = new EventSource(el.getAttribute("data-live"));
    // data-live-state tells (tests, styles) whether the stream is open
    // ("open"; the run page's part says "updated" once replaced).
    es.onopen = function () { el.setAttribute("data-live-state", "open"); };
    es.onerror = function () { el.setAttribute("data-live-state", "reconnecting"); };
    es.addEventListener("reload", function () { window.location.reload(); });
    es.addEventListener("run", function (e) {
      var msg = JSON.parse(e.data);
      var node = fromHTML(msg.html);
      if (!node) return;
      if (el.tagName === "TBODY") {
        var old = document.getElementById("row-" + msg.id);
        if (old) { old.replaceWith(node); } else { node.classList.add("fresh"); el.insertBefore(node, el.firstChild); }
        var none = document.getElementById("no-runs");
        if (none) none.remove();
      } else {
        // Keep open <details> open across updates.
        var open = [];
        el.querySelectorAll("details").forEach(function (d, i) { open[i] = d.open; });
        el.replaceWith(node);
        node.querySelectorAll("details").forEach(function (d, i) { if (i < open.length) d.open = open[i]; });
        // "updated": the stream is open and its first state is shown.
        node.setAttribute("data-live-state", "updated");
        el = node;
      }
    });
    return es;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(listen);
  });
})();
