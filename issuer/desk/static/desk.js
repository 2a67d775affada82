// The offer's countdown, the card's print button, focus on a refused form's error summary. The pages work without this file:
// the offer page states its expiry time, and the card prints with the browser's own command.
(function () {
  "use strict";
  var countdown = document.getElementById("countdown");
  if (countdown) {
    var seconds = parseInt(countdown.getAttribute("data-seconds"), 10) || 0;
    var end = Date.now() + seconds * 1000;
    var value = document.getElementById("countdown-value");
    var timer = null;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      value.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left <= 0) {
        document.body.classList.add("expired");
        document.getElementById("expired-note").hidden = false;
        countdown.hidden = true;
        if (timer !== null) { clearInterval(timer); }
      }
    };
    countdown.hidden = false;
    tick();
    timer = setInterval(tick, 1000);
  }
  // A refused form: the summary of what to correct takes focus, so a screen reader reads it first
  // and a keyboard goes from it to each field in error by its links.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }
  var print = document.getElementById("print-button");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
}());
