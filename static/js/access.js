/* Access control pages: the staff live gate feed (websocket group estate.<id>.access) and the
 * visitor-pass share button. Uses window.communitySocket from app.js. */
(function () {
  "use strict";

  function text(tag, className, value) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    el.textContent = value;
    return el;
  }

  function eventRow(feed, event) {
    var li = document.createElement("li");
    li.className = "list-item access-event is-new" + (event.replayed ? " is-replayed" : "");
    var at = new Date(event.occurred_at);
    var time = text("time", "", at.toLocaleTimeString([], { hour12: false }));
    time.setAttribute("datetime", event.occurred_at);
    li.appendChild(time);
    li.appendChild(text("span", "access-where", event.gate || event.device || ""));
    var who = text("span", "access-who", (event.resident || "") + " ");
    var labels = feed.labels || {};
    function label(kind, code) { return (labels[kind] && labels[kind][code]) || code; }
    var detail = [label("method", event.method), label("direction", event.direction), label("reason", event.reason)]
      .filter(Boolean).join(" · ");
    if (event.replayed) { detail += " · " + feed.dataset.labelReplayed; }
    who.appendChild(text("span", "muted", detail));
    li.appendChild(who);
    var granted = event.result === "granted";
    li.appendChild(text("span", "badge " + (granted ? "badge-ok" : "badge-danger"),
      granted ? feed.dataset.labelGranted : feed.dataset.labelDenied));
    return li;
  }

  function startFeed(feed) {
    var state = document.querySelector("[data-feed-state]");
    var max = parseInt(feed.dataset.max || "100", 10);
    var labelsScript = document.getElementById("access-feed-labels");
    feed.labels = labelsScript ? JSON.parse(labelsScript.textContent) : {};
    if (!window.communitySocket) { return; }
    function showState(label, cls) {
      if (state) { state.textContent = label; state.className = "badge " + cls; }
    }
    window.communitySocket([feed.dataset.group], function (group, event) {
      if (event.type === "access.events") {
        var empty = feed.querySelector(".access-feed-empty");
        if (empty) { empty.remove(); }
        event.events.forEach(function (e) { feed.insertBefore(eventRow(feed, e), feed.firstChild); });
        while (feed.children.length > max) { feed.removeChild(feed.lastChild); }
      } else if (event.type === "device.status") {
        var row = document.querySelector('[data-device="' + event.device + '"] [data-device-status]');
        if (row) {
          row.textContent = event.online ? feed.dataset.labelOnline : feed.dataset.labelOffline;
          row.className = "badge " + (event.online ? "badge-ok" : "badge-danger");
        }
      }
    }, {
      // "live" only once the server confirms the subscription: before that, events are missed.
      onSubscribed: function (group) {
        if (group === feed.dataset.group) { showState(feed.dataset.labelLive, "badge-ok"); }
      },
      onDisconnected: function () { showState(feed.dataset.labelConnecting, ""); }
    });
  }

  function startShare(button) {
    button.addEventListener("click", function () {
      var link = new URL(button.dataset.url, window.location.href).href;
      var data = { title: button.dataset.text, text: button.dataset.text, url: link };
      if (navigator.share) { navigator.share(data).catch(function () {}); return; }
      if (navigator.clipboard) { navigator.clipboard.writeText(link); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var feed = document.getElementById("access-feed");
    if (feed) { startFeed(feed); }
    document.querySelectorAll("[data-share-pass]").forEach(startShare);
  });
})();
