// Quick exit: the button, or Shift pressed three times within five seconds, hides the page at once
// and replaces it (location.replace, so Back does not return here) with the server's exit view,
// which ends the session, clears site data and redirects to a neutral site.
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
  var presses = [];
  var shiftAlone = false;

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    document.body.hidden = true;
    window.location.replace(link.href);
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
