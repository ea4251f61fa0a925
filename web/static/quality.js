// The evaluator's page: clicking a speech segment on the timeline plays the recording from there.
(function () {
  "use strict";
  const player = document.getElementById("recording-player");
  const timeline = document.getElementById("speech-timeline");
  if (!player || !timeline) return;
  timeline.addEventListener("click", function (event) {
    const start = event.target && event.target.getAttribute && event.target.getAttribute("data-start");
    if (start === null || start === undefined) return;
    player.currentTime = Math.max(0, parseFloat(start) - 0.3);
    player.play().catch(function () {});
  });
})();
