// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to a form's error summary so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // Select a freshly created API token so it is ready to copy.
  var token = document.getElementById("token-value");
  if (token) { token.focus(); token.select(); }
  // Count offer deadlines down once a minute.
  var deadlines = document.querySelectorAll("[data-deadline]");
  function tick() {
    deadlines.forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-deadline")) - Date.now();
      if (isNaN(left)) { return; }
      if (left <= 0) { el.textContent = "overdue"; return; }
      var h = Math.floor(left / 3600000), m = Math.floor(left / 60000) % 60;
      el.textContent = (h > 0 ? h + " h " : "") + m + " min left";
    });
  }
  if (deadlines.length) { setInterval(tick, 60000); }
  // A member who has not chosen a time zone gets the browser's, once.
  var body = document.body;
  if (body.getAttribute("data-time-zone-unset") === "1" && window.Intl && window.fetch) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      var form = new URLSearchParams({time_zone: zone, auto: "1", csrf_token: body.getAttribute("data-csrf")});
      fetch("/account/time-zone", {method: "POST", body: form, credentials: "same-origin"});
    }
  }
  // Live updates (Server-Sent Events): new replies in this thread, news
  // in this private question, and the counts in the navigation. Without
  // JavaScript the page is the same, only reloaded by hand.
  var repliesBar = document.getElementById("live-replies");
  var questionBar = document.getElementById("live-question");
  if (window.EventSource && (body.getAttribute("data-live") === "1" || repliesBar)) {
    var params = new URLSearchParams();
    if (repliesBar) { params.set("thread", repliesBar.getAttribute("data-thread")); }
    if (questionBar) { params.set("question", questionBar.getAttribute("data-question")); }
    var query = params.toString();
    var stream = new EventSource("/events" + (query ? "?" + query : ""));
    var showLink = function (bar, href, text) {
      bar.textContent = "";
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      bar.appendChild(a);
    };
    var fresh = [];
    stream.addEventListener("reply", function (e) {
      var d = JSON.parse(e.data);
      if (!repliesBar || document.getElementById("post-" + d.post) || fresh.indexOf(d.post) >= 0) { return; }
      fresh.push(d.post);
      showLink(repliesBar, "/posts/" + fresh[0], fresh.length + (fresh.length === 1 ? " new reply" : " new replies") + " — show");
    });
    stream.addEventListener("question", function () {
      if (questionBar) { showLink(questionBar, window.location.pathname + "#messages", "There is news in this conversation — show"); }
    });
    stream.addEventListener("reload", function () {
      var bar = repliesBar || questionBar;
      if (bar) { showLink(bar, window.location.pathname + window.location.search, "This page may be out of date — reload"); }
    });
    var setBadge = function (link, n, label) {
      if (!link) { return; }
      var badge = link.querySelector(".badge");
      if (n > 0) {
        if (!badge) { badge = document.createElement("span"); badge.className = "badge"; link.appendChild(document.createTextNode(" ")); link.appendChild(badge); }
        badge.textContent = n > 99 ? "99+" : String(n);
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = label;
        badge.appendChild(hidden);
      } else if (badge) { badge.remove(); }
    };
    stream.addEventListener("notifications", function (e) {
      setBadge(document.querySelector("a.bell"), JSON.parse(e.data).unread, " unread");
    });
    stream.addEventListener("queue", function (e) {
      setBadge(document.querySelector('nav a[href="/moderation"]'), JSON.parse(e.data).open, " waiting");
    });
    stream.addEventListener("offers", function (e) {
      setBadge(document.querySelector('nav a[href="/questions"]'), JSON.parse(e.data).pending, " offered to you");
    });
  }
  // Refuse an oversized upload before sending it (the server checks too).
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var file = input.files && input.files[0];
      input.setCustomValidity(file && file.size > max ? input.getAttribute("data-too-large") : "");
      input.reportValidity();
    });
  });
});
