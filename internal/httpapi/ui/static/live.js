// fgd status page: live updates. Without JavaScript the page is a static
// snapshot; with it, the page listens to /api/v1/events and, when a sync
// ends or a fabric appears, fetches itself again and swaps in the parts
// marked data-live (same ids), without a reload.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var status = document.getElementById("live");
  var kinds = ["sync_completed", "sync_failed", "fabric_created", "circuit_opened", "circuit_closed",
    "source_failed", "source_recovered"];
  var busy = false;
  var again = false;

  function say(text, on) {
    if (!status) return;
    status.textContent = text;
    status.className = on ? "live on" : "live";
  }

  function swap(doc) {
    var parts = document.querySelectorAll("[data-live][id]");
    for (var i = 0; i < parts.length; i++) {
      var fresh = doc.getElementById(parts[i].id);
      if (fresh) {
        parts[i].replaceWith(document.importNode(fresh, true));
      }
    }
    var gen = doc.getElementById("generated");
    var old = document.getElementById("generated");
    if (gen && old) {
      old.replaceWith(document.importNode(gen, true));
    }
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.pathname, { cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        swap(new DOMParser().parseFromString(html, "text/html"));
        say("Live: updated " + new Date().toLocaleTimeString(), true);
      })
      .catch(function (err) {
        say("Live update failed (" + err.message + "): reload to refresh.", false);
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var es = new EventSource("/api/v1/events");
  es.onopen = function () {
    say("Live: connected", true);
  };
  es.onerror = function () {
    say("Live: reconnecting…", false);
  };
  for (var k = 0; k < kinds.length; k++) {
    es.addEventListener(kinds[k], refresh);
  }
  // After a reconnect the stream may have dropped events: refresh anyway.
  es.addEventListener("events_lost", refresh);
  es.addEventListener("events_reset", refresh);
})();
