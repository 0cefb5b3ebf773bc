// A form that sends more text than the server takes at once (DATA_UPLOAD_MAX_MEMORY_SIZE, on the
// body as data-post-limit) is refused whole, and the page with everything typed is gone. Before
// a form is sent, this counts what it would send, the way the server counts; when that is too
// much, nothing is sent, the message (data-post-limit-message, translated) shows at the longest
// field, and the text stays where it is. Without JavaScript the server's own page says the limit.
(function () {
  "use strict";
  var limit = Number(document.body.dataset.postLimit);
  var message = document.body.dataset.postLimitMessage;
  if (!limit || !message) {
    return;
  }
  var encoder = new TextEncoder();

  // What the server counts: for multipart forms the names and values of the fields that are not
  // files (files have a limit of their own); otherwise the whole urlencoded body.
  function measure(form) {
    var multipart = form.enctype === "multipart/form-data";
    var total = 0;
    var longest = null;
    var longestSize = -1;
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string") {
        return;
      }
      var size = multipart
        ? encoder.encode(name).length + 2 + encoder.encode(value).length
        : encodeURIComponent(name).length + 2 + encodeURIComponent(value).length;
      total += size;
      if (size > longestSize) {
        longestSize = size;
        longest = name;
      }
    });
    return { total: total, longest: longest };
  }

  function warn(form, fieldName) {
    var old = form.querySelector("[data-post-limit-error]");
    if (old) {
      old.remove();
    }
    var note = document.createElement("p");
    note.className = "field-error";
    note.setAttribute("role", "alert");
    note.setAttribute("data-post-limit-error", "");
    note.textContent = message;
    var input = fieldName ? form.elements.namedItem(fieldName) : null;
    if (input instanceof HTMLElement) {
      // A field folded away (the log form's "More details") cannot take the focus: unfold it.
      var fold = input.closest("details");
      if (fold) {
        fold.open = true;
      }
      input.before(note);
      input.focus();
    } else {
      form.prepend(note);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") {
      return;
    }
    var size = measure(form);
    if (size.total > limit) {
      event.preventDefault();
      warn(form, size.longest);
    }
  });
})();
