// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to a form's error summary so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // Select a freshly created API token so it is ready to copy.
  var token = document.getElementById("token-value");
  if (token) { token.focus(); token.select(); }
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
