// Supervisor wallboard: renders /supervisor/wallboard.json and refetches it whenever an event
// arrives on the `wallboard` SSE stream. Every value is written with textContent (no innerHTML).
(function () {
  "use strict";
  const root = document.getElementById("wallboard");
  if (!root) return;
  const T = JSON.parse(document.getElementById("strings").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const REFRESH_MS = 10000;       // also refresh without events: KPIs and unpublished changes
  const DEBOUNCE_MS = 200;        // a burst of events costs one snapshot
  let board = JSON.parse(document.getElementById("board").textContent);
  let fetchedAt = Date.now() / 1000;   // ticking uses the browser clock from the moment of the fetch
  let pending = null;
  const drafts = {};              // what the supervisor typed or picked, kept across re-renders

  const {el, clear} = window.hotlineDom;   // dom.js
  function td(row, text, cls) { const c = el("td", text, cls); row.appendChild(c); return c; }
  function pct(v) { return v === null || v === undefined ? "–" : Math.round(v * 100) + "%"; }
  function secs(v) { return v === null || v === undefined ? "–" : Math.round(v) + " " + T.seconds; }
  function clock(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = String(m).padStart(2, "0") + ":" + String(r).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function button(text, cls, onClick) {
    const b = el("button", text, cls);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function select(options, value, label) {
    const s = document.createElement("select");
    s.setAttribute("aria-label", label);
    options.forEach((o) => { const opt = el("option", o); opt.value = o; s.appendChild(opt); });
    if (value !== undefined && options.indexOf(value) >= 0) s.value = value;
    return s;
  }
  function remember(key, input) {
    if (drafts[key] !== undefined) input.value = drafts[key];
    input.addEventListener("input", () => { drafts[key] = input.value; });
    input.addEventListener("change", () => { drafts[key] = input.value; });
    return input;
  }

  function setConn(live) {
    $("conn-status").textContent = live ? T.connected : T.disconnected;
    $("conn-status").className = "conn " + (live ? "on" : "off");
  }
  function status(text, ok) {
    $("action-status").textContent = text;
    $("action-status").className = ok ? "ok" : "error";
  }
  function logLine(text) {
    const log = $("event-log");
    log.prepend(el("li", new Date().toLocaleTimeString() + " " + text));
    while (log.children.length > 30) log.lastChild.remove();
  }

  async function api(url, body) {
    const res = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    status(res.ok ? T.sent : T.error + ": " + ((data && data.error) || res.status), res.ok);
    if (res.ok) refreshSoon();
    return res.ok;
  }
  const url = (template, token, id) => template.replace(token, encodeURIComponent(id));

  // -- rendering ------------------------------------------------------------------------
  // A new alert is sounded once (a short two-tone beep, WebAudio), and shown for as long as it
  // holds. The mute toggle (kept in this browser) silences the beep, never the alert.
  let heard = new Set();
  const MUTE_KEY = "hotline.wallboard.muted";
  let muted = false;
  try { muted = window.localStorage.getItem(MUTE_KEY) === "1"; } catch (e) { muted = false; }
  function showMute() {
    const b = $("alert-mute");
    if (!b) return;
    b.textContent = muted ? T.unmute_alerts : T.mute_alerts;
    b.setAttribute("aria-pressed", muted ? "true" : "false");
    root.dataset.alertsMuted = muted ? "1" : "0";
  }
  function beep() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      [660, 880].forEach((hz, i) => {
        const osc = ctx.createOscillator(); const gain = ctx.createGain();
        osc.frequency.value = hz; gain.gain.value = 0.08;
        osc.connect(gain); gain.connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.2); osc.stop(ctx.currentTime + i * 0.2 + 0.18);
      });
      setTimeout(() => ctx.close(), 1000);
    } catch (e) { /* no audio device: the alert is still shown */ }
  }
  function soundNewAlerts() {
    const now = new Set(board.alerts || []);
    const fresh = [...now].filter((text) => !heard.has(text));
    heard = now;
    if (!fresh.length) return;
    const counter = muted ? "alertsSilenced" : "alertsSounded";
    root.dataset[counter] = String(Number(root.dataset[counter] || 0) + fresh.length);
    if (!muted) beep();
  }
  if ($("alert-mute")) {
    $("alert-mute").addEventListener("click", () => {
      muted = !muted;
      try { window.localStorage.setItem(MUTE_KEY, muted ? "1" : "0"); } catch (e) { /* private mode */ }
      showMute();
    });
    showMute();
  }

  function renderAlerts() {
    soundNewAlerts();
    const box = $("alerts"); clear(box);
    if (!board.available) box.appendChild(el("p", T.unavailable, "alert"));
    if (board.available && board.kpis_available === false) box.appendChild(el("p", T.kpis_unavailable, "alert"));
    (board.alerts || []).forEach((text) => box.appendChild(el("p", text, "alert")));
  }

  // Human state names: "On call", not on_call.
  const stateName = (state) => T["st_" + state] || state;
  const byState = (counts) => Object.keys(counts || {}).sort()
    .map((s) => stateName(s) + " " + counts[s]).join(" · ");

  function renderTiles() {
    const box = $("state-tiles"); clear(box);
    Object.keys(board.states || {}).sort().forEach((state) => {
      const tile = el("div", null, "tile state-" + state);
      tile.dataset.state = state;
      tile.appendChild(el("span", stateName(state)));
      tile.appendChild(el("strong", board.states[state]));
      box.appendChild(tile);
    });
  }

  // One card per queue with the numbers a supervisor reads from across the room.
  function bigNumber(label, value, cls) {
    const box = el("div", null, "big " + (cls || ""));
    box.appendChild(el("strong", value));
    box.appendChild(el("span", label));
    return box;
  }

  const waitLimit = (q) => (q.alert_limits && q.alert_limits.longest_wait_s) || q.sl_threshold_s || "";

  // The queue's alert thresholds (its YAML `alerts`), in words on its tile.
  function alertLimitsText(limits) {
    const parts = [];
    if (limits.service_level_below !== null) parts.push(T.alert_sl + " < " + pct(limits.service_level_below));
    if (limits.longest_wait_s !== null) parts.push(T.alert_wait + " > " + clock(limits.longest_wait_s));
    if (limits.abandon_rate_above !== null) parts.push(T.alert_abandon + " > " + pct(limits.abandon_rate_above));
    return T.alerts_at + ": " + parts.join(" · ");
  }

  function renderQueueTiles() {
    const box = $("queue-tiles"); clear(box);
    board.queues.forEach((q) => {
      const tile = el("article", null, "queue-tile" + (q.alerts.length ? " alerting" : ""));
      tile.dataset.queue = q.name;
      tile.appendChild(el("h3", q.name));
      const numbers = el("div", null, "numbers");
      numbers.appendChild(bigNumber(T.waiting, String(q.waiting), "waiting"));
      const wait = bigNumber(T.longest_wait, q.waiting ? clock(q.longest_wait_s) : "–", "longest");
      if (q.waiting) {
        const value = wait.querySelector("strong");
        value.dataset.base = q.longest_wait_s;
        value.dataset.limit = waitLimit(q);
      }
      numbers.appendChild(wait);
      const sl = (q.today || {}).service_level;
      const below = sl !== null && sl !== undefined && q.sl_target !== null && sl < q.sl_target;
      const slBox = bigNumber(T.service_level + (q.sl_target !== null ? " · " + T.target + " " + pct(q.sl_target) : ""),
                              pct(sl), "service-level " + (sl === null || sl === undefined ? "none" : below ? "below" : "ok"));
      numbers.appendChild(slBox);
      tile.appendChild(numbers);
      tile.appendChild(el("p", byState(q.agents) || T.no_agents, "agents-by-state"));
      if (q.alert_limits) tile.appendChild(el("p", alertLimitsText(q.alert_limits), "alert-limits"));
      box.appendChild(tile);
    });
  }

  // The day per queue (15-minute buckets): offered calls and the service level. The charts live
  // across re-renders; only their data changes.
  const charts = {};
  function renderCharts() {
    if (!window.Chart) return;
    const box = $("queue-charts");
    Object.keys(board.trend || {}).sort().forEach((name) => {
      const trend = board.trend[name];
      let chart = charts[name];
      if (!chart) {
        const fig = el("figure", null, "queue-chart"); fig.dataset.queue = name;
        fig.appendChild(el("figcaption", name));
        const area = el("div", null, "chart-area");
        const canvas = document.createElement("canvas");
        area.appendChild(canvas);
        fig.appendChild(area);
        box.appendChild(fig);
        chart = charts[name] = new window.Chart(canvas, {
          data: {labels: [], datasets: [
            {type: "bar", label: T.offered_15, data: [], backgroundColor: "#9aa5b1", yAxisID: "calls"},
            {type: "line", label: T.sl_pct, data: [], borderColor: "#c05621", backgroundColor: "#c05621",
             yAxisID: "percent", spanGaps: true}]},
          options: {responsive: true, maintainAspectRatio: false, animation: false,
                    plugins: {legend: {position: "bottom"}},
                    scales: {x: {title: {display: true, text: T.time}},
                             calls: {position: "left", beginAtZero: true, ticks: {precision: 0}},
                             percent: {position: "right", min: 0, max: 100, grid: {drawOnChartArea: false},
                                       ticks: {callback: (v) => v + " %"}}}},
        });
      }
      chart.data.labels = trend.labels;
      chart.data.datasets[0].data = trend.offered;
      chart.data.datasets[1].data = trend.service_level;
      chart.update("none");
    });
    window.hotlineQueueCharts = charts;
  }

  function renderQueues() {
    const body = $("queues").querySelector("tbody"); clear(body);
    board.queues.forEach((q) => {
      const row = el("tr"); row.dataset.queue = q.name;
      if (q.alerts.length) row.className = "alerting";
      td(row, q.name);
      td(row, q.waiting, "num");
      const wait = td(row, q.waiting ? clock(q.longest_wait_s) : "–", "num");
      if (q.waiting) { wait.dataset.base = q.longest_wait_s; wait.dataset.limit = waitLimit(q); }
      td(row, byState(q.agents) || "–");
      const t = q.today || {};
      td(row, pct(t.service_level), "num");
      td(row, pct(t.abandon_rate), "num");
      td(row, secs(t.asa_s), "num");
      td(row, secs(t.aht_s), "num");
      td(row, t.offered === undefined ? "–" : t.offered, "num");
      body.appendChild(row);
    });
  }

  function renderWaiting() {
    const body = $("waiting").querySelector("tbody"); clear(body);
    if (!board.waiting.length) {
      const row = el("tr"); const c = td(row, T.no_calls); c.colSpan = 5; body.appendChild(row);
      return;
    }
    board.waiting.forEach((c) => {
      const row = el("tr"); row.dataset.call = c.call_id;
      td(row, c.caller);
      td(row, c.queue || "–");
      const wait = td(row, clock(c.wait_s), "num"); wait.dataset.base = c.wait_s;
      td(row, c.priority, "num");
      const actions = td(row, null, "actions");
      const queues = board.queue_names.filter((n) => n !== c.queue);
      const target = remember("queue:" + c.call_id, select(queues, undefined, T.move));
      target.className = "move-target";
      actions.appendChild(target);
      actions.appendChild(button(T.move, "move", () =>
        api(url(root.dataset.moveUrl, "CALL", c.call_id), {queue: target.value})));
      const prio = remember("prio:" + c.call_id, el("input"));
      prio.type = "number"; prio.className = "priority"; prio.size = 4;
      prio.setAttribute("aria-label", T.set_priority);
      if (drafts["prio:" + c.call_id] === undefined) prio.value = c.priority + 10;
      actions.appendChild(prio);
      actions.appendChild(button(T.set_priority, "set-priority", () => {
        const value = Number(prio.value);
        // sent as typed when it is not a whole number, so the server's message explains why
        api(url(root.dataset.priorityUrl, "CALL", c.call_id),
            {priority: Number.isInteger(value) && prio.value !== "" ? value : prio.value});
      }));
      body.appendChild(row);
    });
  }

  // The agent's phone: browser or desk/SIP, and whether the switch has it registered now.
  function phoneText(a) {
    const kind = a.phone === "browser" ? T.phone_browser : T.phone_sip;
    const reg = a.registered === true ? T.phone_registered : a.registered === false ? T.phone_unregistered : T.phone_unknown;
    return kind + " · " + reg;
  }

  function renderAgents() {
    const body = $("agents").querySelector("tbody"); clear(body);
    board.agents.forEach((a) => {
      const row = el("tr"); row.dataset.agent = a.id;
      td(row, a.name);
      td(row, phoneText(a), "phone phone-" + (a.registered === true ? "on" : a.registered === false ? "off" : "unknown"));
      td(row, stateName(a.state) + (a.reason ? " · " + a.reason.replace(/_/g, " ") : ""), "state state-" + a.state);
      const since = td(row, a.since_s === null ? "–" : clock(a.since_s), "num since");
      if (a.since_s !== null) since.dataset.base = a.since_s;
      td(row, a.caller ? a.caller + (a.call_queue ? " · " + a.call_queue : "") : "–", "caller");
      td(row, a.calls_taken, "num");
      const actions = td(row, null, "actions");
      ["listen", "whisper", "barge"].forEach((mode) => {
        const b = button(T[mode], "supervise " + mode, () => api(url(root.dataset.superviseUrl, "AGENT", a.id),
          {mode, extension: $("sup-extension").value.trim()}));
        b.disabled = !a.on_call;
        actions.appendChild(b);
      });
      const state = remember("state:" + a.id, select(board.force_states, undefined, T.set_state));
      state.className = "force-state";
      const reason = remember("reason:" + a.id, select(board.break_reasons, undefined, T.set_state));
      reason.className = "break-reason";
      actions.appendChild(state);
      actions.appendChild(reason);
      actions.appendChild(button(T.set_state, "set-state", () => {
        const body = {state: state.value};
        if (state.value === "break") body.reason = reason.value;
        api(url(root.dataset.stateUrl, "AGENT", a.id), body);
      }));
      body.appendChild(row);
    });
  }

  function render() {
    renderAlerts(); renderQueueTiles(); renderCharts(); renderTiles(); renderQueues(); renderWaiting(); renderAgents(); tick();
  }

  function tick() {
    const elapsed = Date.now() / 1000 - fetchedAt;
    root.querySelectorAll("[data-base]").forEach((cell) => {
      const value = Number(cell.dataset.base) + elapsed;
      cell.textContent = clock(value);
      if (cell.dataset.limit) cell.classList.toggle("over", value > Number(cell.dataset.limit));
    });
  }

  async function refresh() {
    pending = null;
    try {
      const res = await fetch(root.dataset.snapshotUrl, {credentials: "same-origin",
                                                        headers: {"Accept": "application/json"}});
      if (!res.ok) return;
      board = await res.json();
      fetchedAt = Date.now() / 1000;
      render();
    } catch (e) { setConn(false); }
  }
  function refreshSoon() { if (!pending) pending = setTimeout(refresh, DEBOUNCE_MS); }

  // An event in words, without call ids: "alice · On call", "+1415… · waiting in billing".
  function agentName(id) {
    const a = board.agents.find((x) => x.id === id);
    return a ? a.name : id;
  }
  function describe(msg) {
    const who = msg.agent_id ? agentName(msg.agent_id) : "";
    const words = {
      state: () => [who, stateName(msg.state), msg.reason ? msg.reason.replace(/_/g, " ") : ""],
      queued: () => [msg.caller || T.caller, T.waiting_in + " " + (msg.queue || "")],
      call_started: () => [msg.caller, T.call_started],
      answered: () => [who, T.answered],
      missed: () => [who, T.missed],
      call_ended: () => [T.call_ended, msg.outcome ? "(" + (T["outcome_" + msg.outcome] || msg.outcome) + ")" : ""],
      supervise: () => [msg.supervisor, T[msg.mode] || msg.mode, who],
      call_action: () => [msg.by, msg.action, msg.ok ? T.done : T.failed],
    }[msg.type];
    const parts = words ? words() : [msg.type, who, msg.queue];
    return parts.filter((v) => v !== undefined && v !== null && v !== "").join(" · ");
  }

  const es = new EventSource(root.dataset.eventsUrl);
  es.addEventListener("ready", () => setConn(true));
  es.onmessage = (e) => {
    let msg;
    try { msg = JSON.parse(e.data); } catch (err) { return; }   // not JSON: ignore
    setConn(true);
    logLine(describe(msg));
    if (msg.type === "supervise" && msg.supervisor === root.dataset.username) {
      // the controller carried out (or refused) this supervisor's listen / whisper / barge
      if (msg.error) {
        status(T.error + ": " + msg.error, false);
        delete $("action-status").dataset.connected;
      } else {
        status(T.connected_to.replace("{agent}", agentName(msg.agent_id)).replace("{mode}", T[msg.mode] || msg.mode), true);
        $("action-status").dataset.connected = msg.mode;
      }
    }
    refreshSoon();
  };
  es.onerror = () => setConn(false);   // EventSource reconnects with Last-Event-ID

  setConn(false);
  render();
  setInterval(tick, 1000);
  setInterval(refresh, REFRESH_MS);
})();
