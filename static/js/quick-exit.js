// Quick exit: the button, or Shift pressed three times within five seconds, hides the page at once
// and replaces it (location.replace, so it adds no entry to the tab's history and Back does not
// return here) with the server's exit view, which ends the session, clears site data and
// redirects to a neutral site: a redirect replaces the entry too.
//
// A form marked data-keeps-draft that was changed since the page opened is posted to the exit view
// first, with its CSRF token: the server keeps it as the user's encrypted draft and ends the
// session in the same request. The page is hidden and its tab title neutral meanwhile; the wait is
// capped at SAVE_WAIT_MS, so a slow network costs the text, never the exit.
//
// Only a Shift pressed and released on its own counts: typing capital letters uses Shift as a
// modifier and must never throw away a half-written report. Any other key starts the count again.
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) {
    return;
  }
  var WINDOW_MS = 5000;
  var SAVE_WAIT_MS = 1000;
  var presses = [];
  var shiftAlone = false;
  var leaving = false;
  var draftForm = document.querySelector("form[data-keeps-draft]");
  var draftAtLoad = draftForm ? serialized(draftForm) : null;

  function serialized(form) {
    return new URLSearchParams(new FormData(form)).toString();
  }

  function changedDraft() {
    if (!draftForm || serialized(draftForm) === draftAtLoad) {
      return null;
    }
    var data = new FormData(draftForm);
    // The form's own path: the server keeps the draft under that form's name.
    data.append("quick_exit_form", new URL(draftForm.action, window.location.href).pathname);
    return data;
  }

  function post(data, keepalive) {
    return fetch(link.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "manual",
      // Lets the request finish if the page is gone first; browsers refuse it above 64 KB.
      keepalive: keepalive,
    });
  }

  function saveDraft(data) {
    var saved = post(data, true).catch(function () {
      return post(data, false);
    });
    var capped = new Promise(function (resolve) {
      window.setTimeout(resolve, SAVE_WAIT_MS);
    });
    return Promise.race([saved, capped]).catch(function () {});
  }

  function go() {
    window.location.replace(link.href);
  }

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    if (leaving) {
      return;
    }
    leaving = true;
    document.body.hidden = true;
    document.title = link.dataset.neutralTitle || "";
    var data = changedDraft();
    if (data) {
      saveDraft(data).then(go);
    } else {
      go();
    }
  }

  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Shift") {
      shiftAlone = !event.repeat;
      return;
    }
    shiftAlone = false;
    presses = [];
  });
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift" || !shiftAlone) {
      return;
    }
    shiftAlone = false;
    var now = Date.now();
    presses = presses.filter(function (time) {
      return now - time < WINDOW_MS;
    });
    presses.push(now);
    if (presses.length >= 3) {
      leave();
    }
  });
})();
