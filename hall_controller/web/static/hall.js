// The few lines of script the pages need (no framework, no build step):
// - a live region ([data-live-src]) follows a server-sent event stream: each event carries the
//   region's new HTML, rendered by the server, which replaces the old;
// - running clocks ([data-since]) count up from the server's time, not the browser's;
// - a finished ticket ([data-final]) stops following its stream;
// - the print button prints (the report has its own print style).
"use strict";

(function () {
  var offset = 0; // server clock minus browser clock, seconds

  function readServerNow(root) {
    var el = root.querySelector("[data-server-now]") || (root.dataset && root.dataset.serverNow ? root : null);
    if (el) {
      offset = parseFloat(el.dataset.serverNow) - Date.now() / 1000;
    }
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + " s";
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var m = minutes % 60;
    return Math.floor(minutes / 60) + " h " + (m < 10 ? "0" : "") + m + " min";
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var now = Date.now() / 1000 + offset;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = duration(now - parseFloat(el.dataset.since));
    });
    var clock = document.querySelector("[data-clock]");
    if (clock) {
      // the hall's local time is what the server rendered; move it on by the seconds passed
      var base = clock.dataset.base || clock.textContent;
      if (!clock.dataset.base) { clock.dataset.base = base; clock.dataset.at = now; }
      var parts = base.split(":").map(Number);
      var total = parts[0] * 3600 + parts[1] * 60 + parts[2] + Math.round(now - parseFloat(clock.dataset.at));
      total = ((total % 86400) + 86400) % 86400;
      clock.textContent = two(Math.floor(total / 3600)) + ":" + two(Math.floor(total / 60) % 60) + ":" + two(total % 60);
    }
  }

  function follow(region) {
    var src = region.dataset.liveSrc;
    var name = region.dataset.liveEvent;
    var banner = document.getElementById("stream-state");
    var source = new EventSource(src);
    source.addEventListener(name, function (event) {
      region.innerHTML = event.data;
      region.dataset.updates = String(parseInt(region.dataset.updates || "0", 10) + 1);
      readServerNow(region);
      tick();
      if (banner) banner.hidden = true;
      if (region.querySelector("[data-final]")) source.close();
      if (region.querySelector(".state-called") && navigator.vibrate) {
        try { navigator.vibrate([300, 150, 300]); } catch (e) { /* not allowed: fine */ }
      }
    });
    source.addEventListener("expired", function (event) {
      source.close();
      window.location.href = event.data + "?next=" + encodeURIComponent(window.location.pathname);
    });
    source.onerror = function () {
      if (banner) banner.hidden = false;
      if (source.readyState === EventSource.CLOSED) {
        // refused (logged out, or the ticket is gone): reload to see why
        setTimeout(function () { window.location.reload(); }, 5000);
      }
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    readServerNow(document.body);
    document.querySelectorAll("[data-live-src]").forEach(function (region) {
      if (!region.querySelector("[data-final]")) follow(region);
    });
    document.querySelectorAll("[data-action=print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    tick();
    setInterval(tick, 1000);
  });
})();
