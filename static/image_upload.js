// The editor's image upload: sends the chosen file to /settings/images (the same route
// as the plain form, asking for JSON) and inserts the returned Markdown at the cursor in
// the article body. Without this script the partial's link to the images page remains.
(function () {
  "use strict";

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart == null ? textarea.value.length : textarea.selectionStart;
    var end = textarea.selectionEnd == null ? start : textarea.selectionEnd;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    var lead = before && !/\n$/.test(before) ? "\n" : "";
    var inserted = lead + text + "\n";
    textarea.value = before + inserted + after;
    var caret = start + inserted.length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  function firstError(body) {
    var errors = body && body.errors;
    if (!errors) return null;
    for (var field in errors) {
      if (Object.prototype.hasOwnProperty.call(errors, field) && errors[field].length) {
        return field + " " + errors[field][0];
      }
    }
    return null;
  }

  function setUp(box) {
    var controls = box.querySelector(".image-upload-controls");
    var input = box.querySelector("[data-image-file]");
    var button = box.querySelector("[data-image-button]");
    var status = box.querySelector("[data-image-status]");
    var target = document.getElementById(box.getAttribute("data-target"));
    if (!controls || !input || !button || !status || !target) return;
    controls.hidden = false;
    var fallback = status.innerHTML;

    function say(text) {
      status.textContent = text;
    }

    button.addEventListener("click", function () {
      var file = input.files && input.files[0];
      if (!file) {
        say("Choose an image file first.");
        return;
      }
      var form = new FormData();
      form.append("csrf_token", box.getAttribute("data-csrf"));
      form.append("image", file, file.name);
      button.disabled = true;
      say("Uploading " + file.name + "…");
      fetch("/settings/images", {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return null;
            })
            .then(function (body) {
              return { ok: response.ok, status: response.status, body: body };
            });
        })
        .then(function (result) {
          if (result.ok && result.body && result.body.image) {
            insertAtCursor(target, result.body.image.markdown);
            input.value = "";
            say("Uploaded: the image's Markdown is in the body.");
          } else {
            say(firstError(result.body) || "The upload failed (" + result.status + ").");
          }
        })
        .catch(function () {
          status.innerHTML = fallback;
        })
        .then(function () {
          button.disabled = false;
        });
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-image-upload]");
    for (var i = 0; i < boxes.length; i++) setUp(boxes[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
