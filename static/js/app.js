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
