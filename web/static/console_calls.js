// Agent console, during and after the call: hold/resume, transfer, hang up (published to the
// controller), one-click ticket/note/follow-up/callback, the wrap-up panel with its countdown,
// disposition codes per queue and knowledge-base suggestions. Text only through textContent.
(function () {
  "use strict";
  const H = window.hotline;
  if (!H) return;
  const {T, setup, root, $, el, clear, api, logLine} = H;
  let wrapTimer = null;
  let wrapCall = null;       // the call the wrap-up panel is for
  let dispositionSaved = false;

  const callUrl = (call, what) => "/api/calls/" + encodeURIComponent(call.call_id) + "/" + what;
  const report = (res, okText) => logLine(res.ok ? okText : H.error(res));

  // -- call controls: each action is pending until the switch's answer (a call_action event) -------
  const pending = {};        // action -> {label, timer}
  const ACTION_TIMEOUT_MS = 10000;

  // The switch's reply in plain words: "-ERR No such channel!" -> "the call is no longer on the switch".
  function plainReason(result) {
    const text = String(result || "").replace(/^-ERR\s*/, "").trim();
    const known = T.switch_reasons || {};
    const key = Object.keys(known).find((k) => text.toLowerCase().indexOf(k.toLowerCase()) >= 0);
    return key ? known[key] : (text || T.error);
  }

  function showAction(label, phase, detail) {
    const box = $("action-status");
    box.hidden = false;
    box.dataset.phase = phase;
    box.textContent = label + ": " + T[phase] + (detail ? " · " + detail : "");
  }

  async function runAction(action, label, url, body) {
    const call = H.call();
    if (!call) return;
    clearTimeout(pending[action] && pending[action].timer);
    showAction(label, "pending");
    const timer = setTimeout(() => { delete pending[action]; showAction(label, "failed", T.no_answer_from_switch); },
                             ACTION_TIMEOUT_MS);
    pending[action] = {label, timer, callId: call.call_id};
    const res = await api("POST", url, body);
    if (!res.ok) {
      clearTimeout(timer);
      delete pending[action];
      showAction(label, "failed", (res.data && res.data.error) || String(res.status));
    }
  }

  function settleAction(msg) {
    const wait = pending[msg.action];
    if (!wait || wait.callId !== msg.call_id) return;
    clearTimeout(wait.timer);
    delete pending[msg.action];
    if (msg.ok) {
      showAction(wait.label, "done");
      logLine(wait.label + " · " + T.done);
      if (msg.action === "hold") H.banner(T.on_hold);
      if (msg.action === "unhold") H.banner(T.answered);
    } else {
      showAction(wait.label, "failed", plainReason(msg.result));
      logLine(wait.label + " · " + T.failed + " · " + plainReason(msg.result));
    }
  }

  document.querySelectorAll("button.call-action").forEach((btn) => btn.addEventListener("click", () => {
    const call = H.call();
    if (!call) return;
    if (btn.dataset.action === "hangup" && !window.confirm(T.confirm_hangup)) return;
    runAction(btn.dataset.action, btn.textContent.trim(), callUrl(call, btn.dataset.action), {});
  }));

  $("transfer-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const call = H.call();
    if (!call) return;
    const label = $("btn-transfer").textContent.trim() + " → " + $("transfer-target").value;
    runAction("transfer", label, callUrl(call, "transfer"),
              {to: $("transfer-to").value, target: $("transfer-target").value, kind: $("transfer-kind").value});
  });

  // -- attended transfer: the controller's consult events drive Complete / Cancel ----------------
  const consultBox = $("consult");
  function showConsult(msg) {
    const live = msg.state === "ringing" || msg.state === "talking";
    const text = consultBox.dataset[msg.state] || msg.state;
    $("consult-text").textContent = text.replace("{target}", msg.target_agent || msg.target || "")
      + (msg.state === "failed" && msg.cause ? " (" + msg.cause + ")" : "");
    consultBox.hidden = false;
    $("btn-consult-complete").hidden = msg.state !== "talking";
    $("btn-consult-cancel").hidden = !live;
    $("transfer-form").hidden = live;
  }
  function hideConsult() {
    consultBox.hidden = true;
    $("transfer-form").hidden = false;
  }
  ["complete", "cancel"].forEach((step) => $("btn-consult-" + step).addEventListener("click", async () => {
    const call = H.call();
    if (!call) return;
    const res = await api("POST", callUrl(call, "transfer/" + step), {});
    report(res, T.action_sent);
  }));

  // -- one-click actions on the card: each appears under "Saved on this call" once the server has it --
  function addSaved(text) {
    $("call-saved").hidden = false;
    $("card-saved").prepend(el("li", text, "new"));
  }
  function needCustomer() {
    const c = H.customer();
    if (c && c.id) return c.id;
    logLine(T.error + ": " + T.unknown_caller);
    return null;
  }

  $("ticket-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const customerId = needCustomer();
    if (!customerId) return;
    const call = H.call();
    const subject = $("ticket-subject").value;
    const res = await api("POST", root.dataset.ticketsUrl,
                          {customer_id: customerId, subject, call_id: call && call.call_id});
    report(res, T.ticket_created + (res.ok ? " #" + res.data.id : ""));
    if (res.ok) {
      $("ticket-subject").value = "";
      const ul = $("card-tickets");
      if (ul.firstChild && ul.firstChild.textContent === T.none) clear(ul);
      ul.prepend(el("li", "#" + res.data.id + " " + subject, "new"));
      addSaved(T.ticket_created + " #" + res.data.id + " · " + subject);
    }
  });

  $("note-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const call = H.call();
    const c = H.customer();
    const body = {text: $("note-text").value, call_id: call && call.call_id};
    if (c && c.id) body.customer_id = c.id;
    if (!body.customer_id && !body.call_id) return;
    const res = await api("POST", root.dataset.notesUrl, body);
    report(res, T.note_added);
    if (res.ok) { addSaved(T.note_added + ": " + body.text); $("note-text").value = ""; }
  });

  $("btn-follow-up").addEventListener("click", async () => {
    const call = H.call();
    if (!call) return;
    const res = await api("POST", callUrl(call, "follow-up"), {subject: $("ticket-subject").value || null});
    report(res, T.follow_up_marked);
    if (res.ok) addSaved(T.follow_up_marked + ($("ticket-subject").value ? ": " + $("ticket-subject").value : ""));
  });

  $("callback-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const call = H.call();
    const when = new Date($("callback-at").value);   // local time in the input; sent as UTC ISO 8601
    if (!call || isNaN(when)) return;
    const c = H.customer();
    const body = {number: call.caller, due_at: when.toISOString(), call_id: call.call_id, queue: call.queue};
    if (c && c.id) body.customer_id = c.id;
    const res = await api("POST", root.dataset.callbacksUrl, body);
    report(res, T.callback_scheduled);
    if (res.ok) addSaved(T.callback_scheduled + ": " + when.toLocaleString());
  });

  // -- knowledge base ---------------------------------------------------------------------
  async function suggest(call, extra) {
    const params = new URLSearchParams();
    if (call.queue) params.set("queue", call.queue);
    (call.ivr_path || []).forEach((step) => params.append("ivr", step));
    const c = H.customer() || {};
    const words = [extra || ""].concat(c.tags || [], (c.open_tickets || []).map((t) => t.subject));
    params.set("q", words.join(" ").slice(0, 2000));
    const res = await api("GET", root.dataset.kbUrl + "?" + params.toString());
    if (H.call() !== call && wrapCall !== call) return;
    [$("card-kb"), $("kb-list")].forEach((ul) => {
      clear(ul);
      const list = (res.ok && res.data.articles) || [];
      if (!list.length) ul.appendChild(el("li", T.no_articles));
      list.forEach((a) => {
        const item = el("li");
        const link = el("button", a.title, "link");
        link.type = "button";
        link.addEventListener("click", () => openArticle(a.slug));
        item.appendChild(link);
        item.appendChild(el("small", " " + a.excerpt));
        ul.appendChild(item);
      });
    });
  }

  async function openArticle(slug) {
    const res = await api("GET", root.dataset.kbArticleUrl.replace("SLUG", encodeURIComponent(slug)));
    if (!res.ok) { logLine(H.error(res)); return; }
    $("kb-title").textContent = res.data.title;
    $("kb-body").textContent = res.data.body;
    $("kb-article").hidden = false;
  }

  let searchTimer = null;
  $("kb-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { const call = wrapCall || H.call(); if (call) suggest(call, $("kb-search").value); }, 250);
  });

  // -- wrap-up --------------------------------------------------------------------------------
  function rulesFor(queue) {
    return (setup.queues && setup.queues[queue]) || {dispositions: [], required: false};
  }

  function dispositionValue() {
    return $("wrapup-disposition").hidden ? $("wrapup-disposition-text").value.trim() : $("wrapup-disposition").value;
  }

  function showWrapUp(call, seconds) {
    wrapCall = call;
    dispositionSaved = false;
    const rules = rulesFor(call.queue);
    const select = $("wrapup-disposition");
    clear(select);
    select.appendChild(el("option", T.choose)).value = "";
    rules.dispositions.forEach((code) => { select.appendChild(el("option", code)).value = code; });
    select.hidden = !rules.dispositions.length;
    $("wrapup-disposition-text").hidden = !!rules.dispositions.length;
    $("wrapup-disposition-text").value = "";
    $("wrapup-note").value = "";
    $("wrapup-error").hidden = true;
    $("wrapup").hidden = false;
    $("wrapup").dataset.required = rules.required ? "1" : "";
    clearInterval(wrapTimer);
    let left = Math.max(0, Math.round(Number(seconds) || 0));
    const tick = () => {
      $("wrapup-countdown").textContent = T.wrap_up_left + ": " + left + " " + T.seconds;
      if (left <= 0) {
        clearInterval(wrapTimer);
        if (rules.required && !dispositionSaved) showError(T.disposition_required);
      }
      left -= 1;
    };
    tick();
    wrapTimer = setInterval(tick, 1000);
    suggest(call);
  }

  function showError(text) {
    $("wrapup-error").textContent = text;
    $("wrapup-error").hidden = false;
  }

  function closeWrapUp() {
    clearInterval(wrapTimer);
    $("wrapup").hidden = true;
    wrapCall = null;
  }

  // "Finish now": the console asks the controller's AgentStates (POST /api/agent/state) to make the
  // agent available; the server refuses while the queue's required disposition is missing.
  async function finishWrapUp() {
    if (!wrapCall) return;
    if (H.agentState() !== "wrap_up") { closeWrapUp(); return; }
    const res = await api("POST", root.dataset.stateUrl,
                          {state: "available", call_id: wrapCall.call_id, queue: wrapCall.queue || null});
    if (!res.ok) { showError(H.error(res)); return; }
    H.handle(res.data);
    logLine(T.finished);
    closeWrapUp();
  }

  async function saveDisposition() {
    const disposition = dispositionValue();
    if (!disposition) {
      if ($("wrapup").dataset.required) { showError(T.disposition_required); return false; }
      return true;
    }
    const res = await api("POST", callUrl(wrapCall, "disposition"),
                          {disposition, note: $("wrapup-note").value || null, queue: wrapCall.queue || null});
    if (!res.ok) { showError(H.error(res)); return false; }
    dispositionSaved = true;
    logLine(T.disposition_saved + ": " + disposition);
    return true;
  }

  $("wrapup").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!wrapCall) return;
    if (await saveDisposition()) await finishWrapUp();
  });
  $("wrapup-finish").addEventListener("click", finishWrapUp);

  // -- keyboard shortcuts (docs/console.md): Alt + a letter, shown in each button's aria-keyshortcuts --
  const SHORTCUTS = {a: "btn-available", b: "btn-break", n: "btn-not-ready", h: "btn-hold", r: "btn-unhold",
                     x: "btn-hangup", s: "wrapup-save", f: "wrapup-finish"};
  document.addEventListener("keydown", (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const key = e.key.toLowerCase();
    if (key === "t") { e.preventDefault(); $("transfer-target").focus(); return; }
    const button = SHORTCUTS[key] && $(SHORTCUTS[key]);
    if (!button || button.disabled || button.offsetParent === null) return;   // hidden: not now
    e.preventDefault();
    button.click();
  });

  // -- messages ---------------------------------------------------------------------------------
  document.addEventListener("hotline:message", (e) => {
    const msg = e.detail;
    const call = H.call();
    if (msg.type === "consult") {
      if (call && msg.call_id !== call.call_id) return;
      showConsult(msg);
    } else if (msg.type === "call_action") {
      settleAction(msg);
    } else if (msg.type === "state") {
      // the wrap-up timer ran out (or a supervisor moved the agent): the form goes unless a required
      // disposition is still missing, which the agent can still save
      if (msg.state !== "wrap_up" && wrapCall && (dispositionSaved || !$("wrapup").dataset.required)) closeWrapUp();
    } else if (msg.type === "offer") {
      closeWrapUp();   // the previous call's wrap-up belongs to that call, not this one
      clear($("card-saved"));
      $("call-saved").hidden = true;
      $("action-status").hidden = true;
      hideConsult();
      $("call-actions").hidden = false;
      suggest(msg);
    } else if (msg.type === "ended" || msg.type === "missed") {
      if (call && msg.call_id && msg.call_id !== call.call_id) return;
      $("call-actions").hidden = true;
      if (!Object.keys(pending).length) $("action-status").hidden = true;   // the last call's result
      // "ended" without wrap_up_s: the caller left before the answer; there is nothing to wrap up.
      if (msg.type === "ended" && msg.wrap_up_s !== undefined) showWrapUp(call || msg, msg.wrap_up_s);
    }
  });
  document.addEventListener("hotline:customer", () => { const call = H.call(); if (call) suggest(call); });
})();
