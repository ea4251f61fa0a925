// The wallboard's live adherence: agents out of their scheduled activity for longer than the grace
// minutes (GET /workforce/adherence.json, every 15 s), in words; textContent only.
(function () {
  "use strict";
  const box = document.getElementById("adherence");
  if (!box) return;
  const WORDS = {phone: "on the phones", break: "on a break", other: "not ready", off: "off"};
  function render(data) {
    box.replaceChildren();
    const title = document.createElement("h2");
    title.textContent = "Adherence";
    box.appendChild(title);
    const list = document.createElement("ul");
    list.id = "adherence-flags";
    for (const f of data.flags) {
      const li = document.createElement("li");
      li.dataset.agent = f.agent;
      li.className = "alert";
      li.textContent = f.agent + ": scheduled " + (WORDS[f.scheduled] || f.scheduled) + ", is " +
        (WORDS[f.actual] || f.actual) + " for " + Math.round(f.minutes) + " min";
      list.appendChild(li);
    }
    if (!data.flags.length) {
      const li = document.createElement("li");
      li.textContent = "Everyone is where the schedule says (grace " + data.grace_min + " min).";
      list.appendChild(li);
    }
    box.appendChild(list);
  }
  function poll() {
    fetch(box.dataset.url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) render(data); })
      .catch(function () {});
  }
  poll();
  setInterval(poll, 15000);
})();
