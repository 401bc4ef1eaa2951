// Bollard's web UI: copy buttons. Everything else is plain HTML forms and links, enhanced by htmx; the pull
// command's client choice (podman, docker, skopeo) is radio buttons and CSS, so it works without this script.
(function () {
  // The copy buttons are hidden without JavaScript: the commands and digests stay there as plain text.
  var reveal = function (root) {
    root.querySelectorAll("button[data-copy][hidden], button[data-copy-text][hidden]").forEach(function (b) {
      b.hidden = false;
    });
  };
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:afterSettle", function () { reveal(document); });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy], button[data-copy-text]");
    if (!button) { return; }
    var text = button.hasAttribute("data-copy-text") ? button.getAttribute("data-copy-text")
        : document.getElementById(button.getAttribute("data-copy")).textContent.trim();
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.setAttribute("data-copied", "true");
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    var fallback = function () { // plain HTTP, or a browser that refuses the clipboard API
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      document.body.removeChild(area);
      done();
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });
})();
