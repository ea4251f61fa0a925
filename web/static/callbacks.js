// Callbacks page: renders /callbacks/list.json. Supervisors refetch it when a callback event
// arrives on the `wallboard` SSE stream; everyone has the refresh button and a slow refresh.
// Every value is written with textContent (no innerHTML).
(function () {
  "use strict";
  const root = document.getElementById("callbacks");
  if (!root) return;
  const T = JSON.parse(document.getElementById("strings").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const SLOW_REFRESH_MS = 30000;  // scheduled rows fall due without an event
  const DEBOUNCE_MS = 1000;       // a burst of events costs one fetch
  const EVENTS = ["queued", "call_ended", "callback_requested", "callback_cancelled", "offer", "answered"];
  let data = JSON.parse(document.getElementById("cb-data").textContent);
  let pending = null;

  const {el, clear} = window.hotlineDom;   // dom.js
  function td(row, text, cls) { const c = el("td", text === null || text === undefined || text === "" ? "–" : text, cls); row.appendChild(c); return c; }
  function clock(s) {
    s = Math.max(0, Math.floor(s || 0));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = String(m).padStart(2, "0") + ":" + String(r).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function status(text, ok) {
    $("action-status").textContent = text;
    $("action-status").className = ok ? "ok" : "error";
  }
  function word(key) { return T[key] || key; }

  async function cancel(url) {
    if (!window.confirm(T.confirm_cancel)) return;
    const res = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: "{}",
    });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    status(res.ok ? (res.status === 202 ? T.sent : T.cancelled) : T.error + ": " + ((body && body.error) || res.status), res.ok);
    refreshSoon();
  }
  function cancelButton(url) {
    const b = el("button", T.cancel, "danger");
    b.type = "button";
    b.addEventListener("click", () => cancel(url));
    return b;
  }

  // one table: its rows (or a "none" row spanning the columns), and its count when it has one
  function fillTable(tableId, countId, items, columns, fillRow) {
    const body = $(tableId).querySelector("tbody"); clear(body);
    if (countId) $(countId).textContent = "(" + items.length + ")";
    if (!items.length) { const r = el("tr"); td(r, T.none).colSpan = columns; body.appendChild(r); }
    items.forEach((item) => { const row = el("tr"); fillRow(row, item); body.appendChild(row); });
  }

  function renderWaiting() {
    fillTable("cb-waiting", "count-waiting", data.waiting, 10, (row, c) => {
      row.dataset.callId = c.call_id;
      td(row, c.number); td(row, c.customer); td(row, c.queue);
      td(row, c.position, "num"); td(row, clock(c.waited_s), "num"); td(row, c.attempts, "num");
      td(row, word(c.state)); td(row, c.retry_local); td(row, c.original_call_id);
      const actions = td(row, "", "actions"); actions.textContent = "";
      if (c.can_cancel) actions.appendChild(cancelButton(root.dataset.cancelCallUrl.replace("CALL", encodeURIComponent(c.call_id))));
    });
  }

  function renderScheduled() {
    fillTable("cb-scheduled", "count-scheduled", data.scheduled, 7, (row, s) => {
      row.dataset.rowId = s.id;
      td(row, s.due_local); td(row, s.number); td(row, s.customer); td(row, s.queue);
      td(row, s.note); td(row, s.created_by);
      const actions = td(row, "", "actions"); actions.textContent = "";
      if (s.can_cancel) actions.appendChild(cancelButton(root.dataset.cancelRowUrl.replace("ROW", String(s.id))));
    });
  }

  function renderFinished() {
    fillTable("cb-finished", null, data.finished, 7, (row, f) => {
      td(row, f.at_local); td(row, word(f.kind)); td(row, f.number); td(row, f.queue);
      td(row, word(f.result || "queued") + (f.cancelled_by ? " (" + f.cancelled_by + ")" : ""));
      td(row, f.attempts, "num");
      const cell = td(row, f.timeline ? "" : f.call_id);
      if (f.timeline && root.dataset.timelineUrl) {
        cell.textContent = "";
        const a = el("a", T.timeline + " " + f.call_id);
        a.href = root.dataset.timelineUrl.replace("CALL", encodeURIComponent(f.call_id));
        cell.appendChild(a);
      }
    });
  }

  function render() { renderWaiting(); renderScheduled(); renderFinished(); }

  async function refresh() {
    pending = null;
    try {
      const res = await fetch(root.dataset.listUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}});
      if (res.ok) { data = await res.json(); render(); }
    } catch (e) { status(T.error, false); }
  }
  function refreshSoon() { if (!pending) pending = setTimeout(refresh, DEBOUNCE_MS); }

  $("refresh").addEventListener("click", refresh);
  setInterval(refresh, SLOW_REFRESH_MS);
  if (root.dataset.eventsUrl && window.EventSource) {
    const source = new EventSource(root.dataset.eventsUrl);
    source.addEventListener("open", () => { $("conn-status").textContent = T.live; $("conn-status").className = "conn on"; });
    source.addEventListener("error", () => { $("conn-status").textContent = T.disconnected; $("conn-status").className = "conn off"; });
    source.addEventListener("message", (e) => {
      let m = null;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      if (m.type === "callback_cancelled") status(m.ok ? T.cancelled : T.error + ": " + m.result, m.ok);
      if (EVENTS.indexOf(m.type) >= 0 && (m.kind === "callback" || String(m.call_id || "").indexOf("cb-") === 0
          || m.type.indexOf("callback") === 0)) refreshSoon();
    });
  }
  render();
})();
