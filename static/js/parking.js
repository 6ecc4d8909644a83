/* Staff car-park screen: live occupancy per lot and the latest plate reads, over the websocket
 * group estate.<id>.parking. Uses window.communitySocket from app.js. */
(function () {
  "use strict";

  function text(tag, className, value) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    el.textContent = value;
    return el;
  }

  function readRow(feed, labels, e) {
    var li = document.createElement("li");
    li.className = "list-item parking-row is-new" + (e.offline ? " is-offline" : "");
    var left = document.createElement("span");
    left.appendChild(text("time", "", new Date(e.received_at).toLocaleTimeString([], { hour12: false })));
    left.appendChild(document.createTextNode(" "));
    left.appendChild(text("strong", "", e.plate));
    var detail = [labels[e.reason] || e.reason];
    if (e.amount_due && e.amount_due !== "0.00") { detail.push("¥" + e.amount_due); }
    if (e.offline) { detail.push(feed.dataset.labelOffline); }
    if (e.clock_skewed) { detail.push(feed.dataset.labelSkewed); }
    left.appendChild(text("span", "muted", " " + detail.join(" · ")));
    li.appendChild(left);
    li.appendChild(text("span", "badge " + (e.opened ? "badge-ok" : "badge-danger"),
      e.opened ? feed.dataset.labelOpen : feed.dataset.labelClosed));
    return li;
  }

  function showOccupancy(o) {
    if (!o) { return; }
    var card = document.querySelector('[data-lot="' + o.lot + '"] [data-inside]');
    if (card) { card.textContent = o.inside; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("parking-live");
    var feed = document.getElementById("parking-feed");
    if (!live || !feed || !window.communitySocket) { return; }
    var labelsScript = document.getElementById("parking-labels");
    var labels = labelsScript ? JSON.parse(labelsScript.textContent) : {};
    var state = document.querySelector("[data-feed-state]");
    var max = parseInt(feed.dataset.max || "60", 10);
    // The feed's handler, one per page: the socket calls it, and so can a browser test.
    function show(event) {
      if (event.type === "parking.read" || event.type === "parking.reads") {
        // Under load the server sends the reads of a moment together, oldest first.
        var reads = event.type === "parking.reads" ? event.reads : [event];
        var empty = feed.querySelector(".parking-feed-empty");
        if (empty) { empty.remove(); }
        reads.forEach(function (read) {
          feed.insertBefore(readRow(feed, labels, read), feed.firstChild);
          showOccupancy(read.occupancy);
        });
        while (feed.children.length > max) { feed.removeChild(feed.lastChild); }
      } else if (event.type === "parking.occupancy") {
        showOccupancy(event.occupancy);
      } else if (event.type === "parking.barrier_failed") {
        var box = document.getElementById("parking-barrier-failures");
        if (box) {
          box.hidden = false;
          box.querySelector(".list").insertBefore(text("li", "list-item parking-row is-new", event.detail), box.querySelector(".list").firstChild);
        }
      }
    }
    window.communityParkingFeed = show;
    window.communitySocket([live.dataset.group], function (group, event) { show(event); }, {
      onSubscribed: function () { if (state) { state.textContent = feed.dataset.labelLive; state.className = "badge badge-ok"; } },
      onDisconnected: function () { if (state) { state.textContent = feed.dataset.labelConnecting; state.className = "badge"; } }
    });
  });
})();
