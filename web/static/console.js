// Agent console: live screen pop over Server-Sent Events. Every value from the server is
// written with textContent (never innerHTML), so customer data cannot inject markup.
(function () {
  "use strict";
  const root = document.getElementById("console");
  if (!root) return;
  const T = JSON.parse(document.getElementById("strings").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const agentId = root.dataset.agentId;
  const setup = JSON.parse(document.getElementById("setup").textContent);
  const $ = (id) => document.getElementById(id);
  let currentCall = null;
  let currentCustomer = null;   // the card of the current call, once known (its id is needed for tickets)

  const {el, clear} = window.hotlineDom;   // dom.js

  function logLine(text) {
    const item = el("li", new Date().toLocaleTimeString() + " " + text);
    $("event-log").prepend(item);
    while ($("event-log").children.length > 20) $("event-log").lastChild.remove();
  }

  let wasCut = false;   // the stream dropped: the state bar may be stale until we catch up
  function setConn(live) {
    $("conn-status").textContent = live ? T.connected : T.disconnected;
    $("conn-status").className = "conn " + (live ? "on" : "off");
    if (!live) {
      wasCut = true;
      $("state-pill").classList.add("stale");   // never shown as current while the stream is down
    } else if (wasCut) {
      wasCut = false;
      catchUp();
    }
  }

  async function api(method, url, body) {
    const res = await fetch(url, {
      method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return {ok: res.ok, status: res.status, data};
  }

  // -- the card -------------------------------------------------------------------------
  function renderCustomer(c) {
    currentCustomer = c;
    $("card-name").textContent = c.name || T.unknown_caller;
    $("card-vip").hidden = String(c.tier || "").toLowerCase() !== "vip";
    $("card-tier").textContent = c.tier || "-";
    if (c.language) $("card-language").textContent = c.language;
    const tags = $("card-tags"); clear(tags);
    (c.tags || []).forEach((t) => tags.appendChild(el("span", t, "tag")));
    const fields = $("card-fields"); clear(fields);
    Object.entries(c.fields || {}).forEach(([k, v]) => {
      fields.appendChild(el("dt", k));
      fields.appendChild(el("dd", typeof v === "object" ? JSON.stringify(v) : v));
    });
    if (c.open_tickets) {
      const ul = $("card-tickets"); clear(ul);
      if (!c.open_tickets.length) ul.appendChild(el("li", T.none));
      c.open_tickets.forEach((t) => ul.appendChild(el("li", "#" + t.id + " " + t.subject)));
    }
    if (c.last_calls) {
      const ul = $("card-calls"); clear(ul);
      if (!c.last_calls.length) ul.appendChild(el("li", T.none));
      c.last_calls.forEach((call) => {
        const when = call.at ? new Date(call.at * 1000).toLocaleString() : "";
        const parts = [when, call.outcome || "", call.disposition ? "· " + call.disposition : "",
                       call.note ? "· " + call.note : ""];
        ul.appendChild(el("li", parts.join(" ").trim()));
      });
    }
    if (c.interactions) {
      const ul = $("card-history"); clear(ul);
      if (!c.interactions.length) ul.appendChild(el("li", T.none));
      c.interactions.forEach((i) => {
        const when = i.at ? new Date(i.at * 1000).toLocaleString() : "";
        const item = el("li");
        item.appendChild(el("span", T["channel_" + i.channel] || i.channel, "tag"));
        item.appendChild(document.createTextNode(when + " " + (i.summary || "")));
        ul.appendChild(item);
      });
    }
  }

  // Admins choose the card's fields and their order per role and queue (setup.layouts).
  function applyLayout(queue) {
    const layouts = setup.layouts || {};
    const wanted = (layouts.queues && layouts.queues[queue]) || layouts.default || setup.fields;
    const box = $("card-items");
    const items = {};
    box.querySelectorAll(".item").forEach((item) => { items[item.dataset.field] = item; item.hidden = true; });
    wanted.forEach((name) => { const item = items[name]; if (item) { item.hidden = false; box.appendChild(item); } });
  }

  function showOffer(msg) {
    currentCall = msg;
    currentCustomer = msg.customer || null;
    applyLayout(msg.queue || "");
    $("idle-hint").hidden = true;
    $("quick-create").hidden = true;
    $("card").hidden = false;
    $("card-number").textContent = msg.caller || "";
    $("card-language").textContent = msg.language || "";
    $("card-queue").textContent = msg.queue || "";
    $("card-wait").textContent = (Number(msg.wait_s) || 0).toFixed(0) + " " + T.seconds;
    const ivr = $("card-ivr"); clear(ivr);
    (msg.ivr_path || []).forEach((step, i) => {
      if (i) ivr.appendChild(document.createTextNode(" → "));
      ivr.appendChild(el("code", step));
    });
    ["card-tickets", "card-calls", "card-fields", "card-tags", "card-history"].forEach((id) => clear($(id)));
    banner(T.incoming + (msg.partial ? " · " + T.partial : ""));
    if (msg.customer) {
      renderCustomer(msg.customer);
    } else {
      $("card-name").textContent = T.unknown_caller;
      $("card-vip").hidden = true;
      $("card-tier").textContent = "-";
    }
    enrich(msg);
  }

  // The card is drawn: tell the controller, which holds the phone's ring until now (docs/console.md).
  function ackPop(msg) {
    if (msg.call_id) api("POST", root.dataset.popAckUrl, {call_id: msg.call_id});
  }

  async function enrich(msg) {
    const caller = msg.caller || "";
    if (!caller || caller === "anonymous" || caller[0] !== "+") return;
    const url = root.dataset.customerUrl.replace("NUMBER", encodeURIComponent(caller));
    const res = await api("GET", url);
    if (currentCall !== msg) return;   // a newer pop arrived meanwhile
    if (res.ok && res.data && res.data.customer) {
      renderCustomer(res.data.customer);
      document.dispatchEvent(new CustomEvent("hotline:customer", {detail: res.data.customer}));
    }
    else if (res.status === 404 && !msg.customer) showQuickCreate(res.data && res.data.number || caller);
  }

  function showQuickCreate(number) {
    $("card").hidden = false;
    $("quick-create").hidden = false;
    $("qc-number").value = number;
    $("qc-name").value = "";
  }

  function banner(text) {
    $("call-banner").hidden = false;
    $("call-banner").textContent = text;
  }

  // -- attention when the tab is in the background ----------------------------------
  function beep() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const osc = ctx.createOscillator(); const gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.1;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
      osc.onended = () => ctx.close();
    } catch (e) { /* no audio device: the notification still shows */ }
  }

  function notify(msg) {
    if (!document.hidden) return;
    beep();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const who = (msg.customer && msg.customer.name) || msg.caller || T.unknown_caller;
    // The tag collapses the same pop from several tabs into one notification.
    const n = new Notification(T.incoming, {body: who + (msg.queue ? " · " + msg.queue : ""), tag: "pop-" + msg.call_id});
    n.onclick = () => { window.focus(); n.close(); };
  }

  // -- the agent's own state: from the live state at page load, then from live events ----------
  // The controller publishes "state" for changes it makes through AgentStates; ringing, talking and
  // wrap-up come with the call's own events (offer, answered, ended), hold with call_action results.
  const live = setup.live || null;
  const agent = {state: "unknown", reason: null, since: Date.now(), onHold: false, holdSince: 0,
                 talkSince: 0, callId: null};

  function mmss(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + sec : m + ":" + sec;
  }

  function setState(state, reason, since) {
    if (state !== agent.state) agent.since = since || Date.now();
    agent.state = state;
    agent.reason = reason || null;
    if (state !== "on_call") agent.onHold = false;
    if (state === "on_call" && !agent.talkSince) agent.talkSince = since || Date.now();
    if (state !== "on_call" && state !== "reserved") { agent.talkSince = 0; agent.callId = null; }
    paintState();
  }

  function setHold(on) {
    agent.onHold = on;
    agent.holdSince = on ? Date.now() : 0;
    paintState();
  }

  function paintState() {
    const shown = agent.state === "on_call" && agent.onHold ? "on_hold" : agent.state;
    const reason = agent.reason ? " · " + agent.reason.replace(/_/g, " ") : "";
    $("agent-state").textContent = (T["st_" + shown] || shown) + reason;
    $("state-pill").dataset.state = shown;
    $("call-timers").hidden = agent.state !== "on_call";
    $("hold-box").hidden = !agent.onHold;
    tickTimers();
  }

  function tickTimers() {
    const now = Date.now();
    $("state-time").textContent = agent.state === "unknown" ? "" : mmss(now - agent.since);
    if (agent.talkSince) $("talk-time").textContent = mmss(now - agent.talkSince);
    if (agent.onHold) $("hold-time").textContent = mmss(now - agent.holdSince);
  }
  setInterval(tickTimers, 1000);

  if (live) {   // the controller's view when the page was built, shifted onto this browser's clock
    const since = Date.now() - Math.max(0, live.now - live.since) * 1000;
    if (live.call) agent.callId = live.call.call_id;
    setState(live.state, live.reason, since);
    if (live.state === "on_call" && live.call && live.call.answered_at)
      agent.talkSince = Date.now() - Math.max(0, live.now - live.call.answered_at) * 1000;
  }

  // A reload during a call: the call's controls work again (the card comes with the next pop).
  function resumeCall() {
    if (!live || !live.call || live.state !== "on_call") return;
    currentCall = live.call;
    $("idle-hint").hidden = true;
    $("call-actions").hidden = false;
    banner(T.answered + (live.call.caller ? " · " + live.call.caller : ""));
  }

  // After a reconnect: the state the controller holds now replaces whatever the bar showed.
  async function catchUp() {
    const res = await api("GET", root.dataset.stateUrl);
    if (!res.ok || !res.data || !res.data.live) return;
    const now = res.data.live;
    agent.callId = now.call ? now.call.call_id : null;
    setState(now.state, now.reason, Date.now() - Math.max(0, now.now - now.since) * 1000);
    $("state-pill").classList.remove("stale");
  }

  function followState(msg) {
    switch (msg.type) {
      case "state": setState(msg.state, msg.reason); break;
      case "offer": agent.callId = msg.call_id; setState("reserved"); break;
      case "answered": agent.callId = msg.call_id; agent.talkSince = Date.now(); setState("on_call"); break;
      case "missed": if (msg.state) setState(msg.state); break;
      case "ended":
        if (msg.call_id && agent.callId && msg.call_id !== agent.callId) break;   // a consultation leg
        if (msg.wrap_up_s !== undefined) setState("wrap_up");
        else if (agent.state === "reserved") setState("available");   // the caller left before the answer
        break;
      case "call_action":
        if (!msg.ok || (agent.callId && msg.call_id !== agent.callId)) break;
        if (msg.action === "hold") setHold(true);
        if (msg.action === "unhold") setHold(false);
        break;
      default: break;
    }
  }

  // -- events -------------------------------------------------------------------------
  function handle(msg) {
    followState(msg);
    switch (msg.type) {
      case "ready": setConn(true); break;
      case "conn": setConn(msg.live); break;
      case "offer": showOffer(msg); ackPop(msg); notify(msg); logLine(T.incoming + " " + (msg.caller || "")); break;
      case "answered": banner(T.answered); logLine(T.answered); break;
      case "ended": banner(T.ended); logLine(T.ended); break;
      case "missed": banner(T.missed); logLine(T.missed); break;
      default: break;
    }
    document.dispatchEvent(new CustomEvent("hotline:message", {detail: msg}));
  }

  // One tab holds the EventSource (browsers allow few connections per host) and relays to
  // the others over a BroadcastChannel; when it closes, another tab takes the lock.
  const channel = ("BroadcastChannel" in window) ? new BroadcastChannel("hotline-" + agentId) : null;
  if (channel) channel.onmessage = (e) => handle(e.data);

  function openStream() {
    const es = new EventSource(root.dataset.eventsUrl);
    const relay = (msg) => { handle(msg); if (channel) channel.postMessage(msg); };
    es.addEventListener("ready", () => relay({type: "conn", live: true}));
    es.onmessage = (e) => { try { relay(JSON.parse(e.data)); } catch (err) { /* not JSON: ignore */ } };
    es.onerror = () => relay({type: "conn", live: false});   // EventSource reconnects with Last-Event-ID
    return es;
  }

  if (navigator.locks && channel) {
    navigator.locks.request("hotline-sse-" + agentId, () => {
      openStream();
      return new Promise(() => {});   // hold the lock while this tab lives
    });
    setConn(false);
  } else {
    openStream();
  }

  // -- controls -----------------------------------------------------------------------
  document.querySelectorAll("button.state").forEach((btn) => btn.addEventListener("click", async () => {
    const body = {state: btn.dataset.state};
    if (body.state === "break") body.reason = $("break-reason").value;
    if (body.state === "not_ready" && $("not-ready-reason").value) body.reason = $("not-ready-reason").value;
    const res = await api("POST", root.dataset.stateUrl, body);
    if (res.ok) handle(res.data); else logLine(T.error + ": " + ((res.data && res.data.error) || res.status));
  }));

  $("btn-notify").addEventListener("click", () => {
    if ("Notification" in window) Notification.requestPermission();
  });

  $("quick-create").addEventListener("submit", async (e) => {
    e.preventDefault();
    const res = await api("POST", root.dataset.customersUrl, {number: $("qc-number").value, name: $("qc-name").value});
    if (res.ok) {
      $("quick-create").hidden = true;
      renderCustomer(res.data.customer);
      document.dispatchEvent(new CustomEvent("hotline:customer", {detail: res.data.customer}));
      logLine(T.saved);
    }
    else logLine(T.error + ": " + ((res.data && res.data.error) || res.status));
  });

  resumeCall();

  // The call controls, quick actions and wrap-up (console_calls.js) share these.
  window.hotline = {
    T, setup, root, $, el, clear, api, logLine, banner, handle, mmss,
    agentState: () => agent.state,
    call: () => currentCall,
    customer: () => currentCustomer,
    error: (res) => T.error + ": " + ((res.data && res.data.error) || res.status),
  };
})();
