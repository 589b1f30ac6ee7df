// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to a form's error summary so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // Select a freshly created API token so it is ready to copy.
  var token = document.getElementById("token-value");
  if (token) { token.focus(); token.select(); }
});
