/* The console's browser phone: SIP over secure WebSocket to FreeSWITCH's webrtc profile with JsSIP
 * (vendor/jssip), as the agent's own directory user (credentials from GET /api/softphone).
 *
 * One explicit state machine; every change goes through go(), which refuses a transition the
 * table does not list and tells the page (onchange, and a "softphone" event on window):
 *   unregistered → registering → registered → ringing → in_call ⇄ on_hold → registered
 *   any connected state → reconnecting (WebSocket lost; JsSIP reconnects) → registering
 *   errors: mic_denied, registration_failed, second_tab (another tab of this browser has the phone),
 *   cannot_connect (the first WebSocket never opened: wrong address, switch down, or a certificate the
 *   browser does not trust; the browser does not say which, so the panel names all three)
 * The card is drawn by console.js from the offer event; the page rings when the INVITE arrives.
 * Auto-answer: the queue's setting in the INVITE's Alert-Info wins; without it, the agent's own.
 * Devices: the microphone, the speaker (setSinkId) and the volume are remembered in this browser
 * (localStorage); testDevices() plays a tone on the speaker and measures the microphone's level.
 */
(function () {
  "use strict";

  var TRANSITIONS = {
    unregistered: ["registering", "mic_denied", "second_tab"],
    registering: ["registered", "registration_failed", "reconnecting", "cannot_connect", "unregistered"],
    registered: ["ringing", "reconnecting", "registering", "registration_failed", "unregistered"],
    ringing: ["in_call", "registered", "reconnecting", "unregistered"],
    in_call: ["on_hold", "registered", "reconnecting", "unregistered"],
    on_hold: ["in_call", "registered", "reconnecting", "unregistered"],
    reconnecting: ["registering", "registered", "registration_failed", "unregistered"],
    cannot_connect: ["registering", "registered", "unregistered"],
    registration_failed: ["registering", "reconnecting", "unregistered"],
    mic_denied: ["unregistered", "registering"],
    second_tab: ["unregistered"]
  };
  var CHANNEL = "hotline-softphone";
  var PREFS = "hotline.softphone.devices";   // {mic, speaker, volume} of this browser

  // The queue's choice travels in the INVITE's Alert-Info (control/handlers/actions.ALERT_INFO).
  function autoAnswer(alertInfo, agentChoice) {
    if (/urn:x-hotline:auto-answer|info=alert-autoanswer/i.test(alertInfo || "")) return true;
    if (/urn:x-hotline:ring/i.test(alertInfo || "")) return false;
    return !!agentChoice;
  }

  function Softphone(options) {
    this.options = options || {};
    this.state = "unregistered";
    this.detail = "";
    this.session = null;
    this.ua = null;
    this.muted = false;
    this.history = ["unregistered"];
    this.audio = this.options.audio || null;   // <audio> element for the caller's voice
  }

  Softphone.TRANSITIONS = TRANSITIONS;
  Softphone.autoAnswer = autoAnswer;

  Softphone.prototype.go = function (next, detail) {
    if (next === this.state) { this.detail = detail || this.detail; return true; }
    if ((TRANSITIONS[this.state] || []).indexOf(next) < 0) {
      console.warn("softphone: no transition", this.state, "→", next);
      return false;
    }
    this.state = next;
    this.detail = detail || "";
    this.history.push(next);
    if (this.options.onchange) this.options.onchange(next, this.detail, this);
    window.dispatchEvent(new CustomEvent("softphone", {detail: {state: next, detail: this.detail}}));
    return true;
  };

  // Another tab of this browser already runs the phone: one registration per agent and browser.
  Softphone.prototype.claimTab = function () {
    var self = this;
    if (typeof BroadcastChannel === "undefined") return Promise.resolve(true);
    this.channel = new BroadcastChannel(CHANNEL + ":" + (this.options.agent || ""));
    this.channel.onmessage = function (e) {
      if (e.data === "who" && self.state !== "unregistered" && self.state !== "second_tab") self.channel.postMessage("mine");
      if (e.data === "mine") self.othertab = true;
    };
    this.channel.postMessage("who");
    return new Promise(function (resolve) {
      setTimeout(function () { resolve(!self.othertab); }, self.options.tabWaitMs || 300);
    });
  };

  Softphone.prototype.microphone = function () {
    var md = navigator.mediaDevices, self = this;
    if (!md || !md.getUserMedia) return Promise.reject(new Error("no microphone API (the page must be https)"));
    return md.getUserMedia({audio: this.audioConstraints()}).catch(function (err) {
      if (err && err.name === "OverconstrainedError") {   // the remembered microphone is gone: the default
        self.savePrefs({mic: ""});
        return md.getUserMedia({audio: true});
      }
      throw err;
    }).then(function (stream) {
      stream.getTracks().forEach(function (t) { t.stop(); });
    });
  };

  // -- devices, volume and the device test --------------------------------------------------------
  Softphone.prototype.prefs = function () {
    try { return JSON.parse(window.localStorage.getItem(PREFS) || "{}") || {}; } catch (e) { return {}; }
  };
  Softphone.prototype.savePrefs = function (changes) {
    var prefs = Object.assign(this.prefs(), changes);
    try { window.localStorage.setItem(PREFS, JSON.stringify(prefs)); } catch (e) { /* private mode: this page only */ }
    return prefs;
  };
  Softphone.prototype.audioConstraints = function () {
    var mic = this.prefs().mic;
    return mic ? {deviceId: {exact: mic}} : true;
  };
  Softphone.prototype.devices = function () {
    var md = navigator.mediaDevices;
    if (!md || !md.enumerateDevices) return Promise.resolve({microphones: [], speakers: []});
    return md.enumerateDevices().then(function (list) {
      function of(kind) {
        return list.filter(function (d) { return d.kind === kind; })
                   .map(function (d, i) { return {id: d.deviceId, label: d.label || kind + " " + (i + 1)}; });
      }
      return {microphones: of("audioinput"), speakers: of("audiooutput")};
    });
  };
  Softphone.prototype.canChooseSpeaker = function () {
    return !!(this.audio && typeof this.audio.setSinkId === "function");
  };
  // The caller's voice and the page's tones follow the chosen speaker and volume.
  Softphone.prototype.applyOutput = function () {
    var prefs = this.prefs(), jobs = [];
    if (this.audio) {
      this.audio.volume = this.volume();
      if (this.canChooseSpeaker()) jobs.push(this.audio.setSinkId(prefs.speaker || ""));
    }
    if (this.ctx && typeof this.ctx.setSinkId === "function") jobs.push(this.ctx.setSinkId(prefs.speaker || ""));
    return Promise.all(jobs);
  };
  Softphone.prototype.volume = function () {
    var v = Number(this.prefs().volume);
    return isFinite(v) && this.prefs().volume !== undefined ? Math.min(1, Math.max(0, v)) : 1;
  };
  Softphone.prototype.useSpeaker = function (id) { this.savePrefs({speaker: id || ""}); return this.applyOutput(); };
  Softphone.prototype.setVolume = function (v) { this.savePrefs({volume: Math.min(1, Math.max(0, Number(v)))}); return this.applyOutput(); };
  // A new microphone also replaces the one a call in progress sends.
  Softphone.prototype.useMicrophone = function (id) {
    this.savePrefs({mic: id || ""});
    var pc = this.session && this.session.connection;
    if (!pc || !navigator.mediaDevices) return Promise.resolve(false);
    return navigator.mediaDevices.getUserMedia({audio: this.audioConstraints()}).then(function (stream) {
      var track = stream.getAudioTracks()[0];
      var sender = pc.getSenders().find(function (s) { return s.track && s.track.kind === "audio"; });
      if (!sender) { track.stop(); return false; }
      var old = sender.track;
      return sender.replaceTrack(track).then(function () { if (old) old.stop(); return true; });
    });
  };
  // A tone on the speaker while the microphone's level is measured (RMS, 0..1): {level}.
  Softphone.prototype.testDevices = function (ms, onlevel) {
    var self = this;
    ms = ms || 2000;
    return navigator.mediaDevices.getUserMedia({audio: this.audioConstraints()}).then(function (stream) {
      var ctx = self.context(), source = ctx.createMediaStreamSource(stream), analyser = ctx.createAnalyser();
      var samples = new Float32Array(analyser.fftSize), peak = 0;
      source.connect(analyser);
      if (ctx.resume) ctx.resume();
      self.tone(660, Math.min(ms, 800));
      return new Promise(function (resolve) {
        var timer = setInterval(function () {
          analyser.getFloatTimeDomainData(samples);
          var sum = 0;
          for (var i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
          var level = Math.sqrt(sum / samples.length);
          peak = Math.max(peak, level);
          if (onlevel) onlevel(level);
        }, 50);
        setTimeout(function () {
          clearInterval(timer);
          source.disconnect();
          stream.getTracks().forEach(function (t) { t.stop(); });
          self.lastTest = {level: peak};
          resolve(self.lastTest);
        }, ms);
      });
    });
  };

  Softphone.prototype.start = function (account) {
    var self = this;
    this.account = account;
    return this.claimTab().then(function (alone) {
      if (!alone) { self.go("second_tab", "another tab has the phone"); return; }
      return self.microphone().then(function () {
        self.connect(account);
      }, function (err) {
        self.go("mic_denied", (err && err.name) || String(err));
      });
    });
  };

  Softphone.prototype.connect = function (account) {
    var self = this;
    var opened = false;   // no WebSocket opened yet: a failure is cannot_connect, not a lost connection
    var socket = new JsSIP.WebSocketInterface(account.ws_url);
    var ua = this.ua = new JsSIP.UA({
      sockets: [socket], uri: account.uri, password: account.password,
      authorization_user: account.authorization_user, display_name: account.display_name,
      register: true, register_expires: this.options.registerExpires || 120,
      session_timers: false, connection_recovery_min_interval: 2, connection_recovery_max_interval: 30
    });
    ua.on("connecting", function () {
      if (self.state === "registered" || self.state === "in_call" || self.state === "on_hold" || self.state === "ringing") self.go("reconnecting");
      if (self.state === "unregistered" || self.state === "registration_failed" || self.state === "mic_denied") self.go("registering");
    });
    ua.on("connected", function () {
      opened = true;
      if (self.state === "reconnecting" || self.state === "cannot_connect") self.go("registering");
    });
    ua.on("disconnected", function () {
      if (self.state === "unregistered" || self.state === "second_tab") return;
      if (!opened) self.go("cannot_connect", account.ws_url);
      else self.go("reconnecting");
    });
    ua.on("registered", function () { if (!self.session) self.go("registered"); });
    ua.on("unregistered", function () { if (self.state !== "reconnecting") self.go("unregistered"); });
    ua.on("registrationFailed", function (e) { self.go("registration_failed", (e && e.cause) || ""); });
    ua.on("newRTCSession", function (e) { if (e.originator === "remote") self.incoming(e.session, e.request); });
    this.go("registering");
    ua.start();
  };

  Softphone.prototype.incoming = function (session, request) {
    var self = this;
    if (this.session || this.state !== "registered") { session.terminate({status_code: 486}); return; }
    this.session = session;
    this.muted = false;
    session.on("peerconnection", function (e) { self.attach(e.peerconnection); });
    session.on("confirmed", function () { self.stopRing(); self.go("in_call"); });
    session.on("hold", function () { self.go("on_hold"); });
    session.on("unhold", function () { self.go("in_call"); });
    function ended(e) {
      self.stopRing();
      self.session = null;
      self.go(self.ua && self.ua.isRegistered() ? "registered" : "reconnecting");
    }
    session.on("ended", ended);
    session.on("failed", ended);
    this.go("ringing", session.remote_identity && session.remote_identity.uri ? session.remote_identity.uri.user : "");
    this.autoAnswered = autoAnswer(request && request.getHeader ? request.getHeader("Alert-Info") : "",
                                   this.account && this.account.auto_answer);
    if (this.autoAnswered) {
      this.whisper();
      setTimeout(function () { if (self.session === session && self.state === "ringing") self.answer(); },
                 this.options.autoAnswerMs || 600);
    } else {
      this.ring();
    }
  };

  Softphone.prototype.attach = function (pc) {
    var audio = this.audio;
    if (!audio) return;
    var self = this;
    pc.addEventListener("track", function (e) { audio.srcObject = e.streams[0]; self.applyOutput(); });
  };

  Softphone.prototype.answer = function () {
    if (this.state !== "ringing" || !this.session) return false;
    this.stopRing();
    this.session.answer({mediaConstraints: {audio: this.audioConstraints(), video: false}});
    return true;
  };
  Softphone.prototype.hangup = function () {
    if (!this.session) return false;
    this.session.terminate();
    return true;
  };
  Softphone.prototype.mute = function (on) {
    if (!this.session || (this.state !== "in_call" && this.state !== "on_hold")) return false;
    if (on) this.session.mute({audio: true}); else this.session.unmute({audio: true});
    this.muted = !!on;
    return true;
  };
  Softphone.prototype.hold = function (on) {
    var self = this, session = this.session;
    if (!session) return false;
    clearTimeout(this.holdRetry);
    if (session.isReadyToReOffer && !session.isReadyToReOffer()) {
      // the last re-INVITE (a hold a moment ago) is not answered yet: JsSIP would drop this one
      this.holdRetry = setTimeout(function () { if (self.session === session) self.hold(on); }, 200);
      return true;
    }
    return on ? session.hold() : session.unhold();
  };
  Softphone.prototype.dtmf = function (digit) {
    if (this.state !== "in_call" || !this.session || !/^[0-9*#A-D]$/.test(digit)) return false;
    this.session.sendDTMF(digit, {transportType: "RFC2833"});
    return true;
  };
  Softphone.prototype.stop = function () {
    if (this.session) this.session.terminate();
    if (this.ua) this.ua.stop();
    if (this.channel) this.channel.close();
    this.go("unregistered");
  };

  // The ring and the auto-answer whisper: tones made in the page (no sound files to serve).
  Softphone.prototype.context = function () {
    if (!this.ctx) {
      this.ctx = new (window.AudioContext || window.webkitAudioContext)();
      this.applyOutput().catch(function () { /* the default speaker */ });
    }
    return this.ctx;
  };
  Softphone.prototype.tone = function (hz, ms) {
    try {
      var ctx = this.context();
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = hz; gain.gain.value = 0.08 * this.volume();
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + ms / 1000);
    } catch (e) { /* no audio output: the state still shows the call */ }
  };
  Softphone.prototype.ring = function () {
    var self = this;
    this.stopRing();
    this.ringing = true;
    (function beat() {
      if (!self.ringing) return;
      self.tone(440, 400);
      self.ringTimer = setTimeout(beat, 2000);
    })();
  };
  Softphone.prototype.stopRing = function () { this.ringing = false; clearTimeout(this.ringTimer); };
  Softphone.prototype.whisper = function () { this.tone(880, 150); };

  window.HotlineSoftphone = Softphone;

  // The console's panel (web/templates/agent/console.html #softphone); absent on other pages.
  function panel() {
    var box = document.getElementById("softphone");
    if (!box) return;
    var strings = {};
    try { strings = JSON.parse(box.getAttribute("data-strings") || "{}"); } catch (e) { /* defaults */ }
    var label = document.getElementById("softphone-state"), help = document.getElementById("softphone-help");
    var phone = new Softphone({
      agent: box.getAttribute("data-agent-id"), audio: document.getElementById("softphone-audio"),
      onchange: function (state, detail) {
        box.setAttribute("data-state", state);
        label.textContent = (strings[state] || state) + (detail && state !== "cannot_connect" ? " (" + detail + ")" : "");
        // what to do about an error state, in the agent's words ({url}: the phone server's address)
        help.textContent = (strings["help_" + state] || "").replace("{url}", detail || "");
        help.hidden = !help.textContent;
        box.querySelectorAll("[data-when]").forEach(function (el) {
          el.hidden = el.getAttribute("data-when").split(" ").indexOf(state) < 0;
        });
        if (state === "registered" && !devicesShown) showDevices();
      }
    });
    var devices = document.getElementById("softphone-devices"), devicesShown = false;
    function fill(select, list, chosen, fallback) {
      select.textContent = "";
      var first = document.createElement("option");
      first.value = ""; first.textContent = fallback;
      select.appendChild(first);
      list.forEach(function (d) {
        if (!d.id || d.id === "default") return;
        var o = document.createElement("option");
        o.value = d.id; o.textContent = d.label;
        select.appendChild(o);
      });
      select.value = list.some(function (d) { return d.id === chosen; }) ? chosen : "";
    }
    // the lists have labels once the microphone is allowed (after start), and follow plugged headsets
    function showDevices() {
      devicesShown = true;
      return phone.devices().then(function (found) {
        var prefs = phone.prefs();
        fill(devices.mic, found.microphones, prefs.mic, strings.default_device || "default");
        fill(devices.speaker, found.speakers, prefs.speaker, strings.default_device || "default");
        devices.speaker.disabled = !phone.canChooseSpeaker();
        devices.volume.value = String(phone.volume());
        devices.hidden = false;
      });
    }
    box.showDevices = showDevices;
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener("devicechange", function () { if (devicesShown) showDevices(); });
    }
    devices.addEventListener("change", function (e) {
      if (e.target.name === "mic") phone.useMicrophone(e.target.value);
      else if (e.target.name === "speaker") phone.useSpeaker(e.target.value);
    });
    devices.volume.addEventListener("input", function () { phone.setVolume(devices.volume.value); });
    var meter = document.getElementById("softphone-level"), result = document.getElementById("softphone-test-result");
    box.softphone = phone;
    box.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      var act = b.getAttribute("data-phone");
      if (act === "answer") phone.answer();
      else if (act === "hangup") phone.hangup();
      else if (act === "mute") { phone.mute(!phone.muted); b.setAttribute("aria-pressed", String(phone.muted)); }
      else if (act === "hold") phone.hold(phone.state === "in_call");
      else if (act === "dtmf") phone.dtmf(b.textContent.trim());
      else if (act === "test") {
        b.disabled = true;
        result.textContent = strings.testing || "…";
        phone.testDevices(2000, function (level) { meter.value = Math.min(1, level * 4); }).then(function (r) {
          result.textContent = r.level > 0.001 ? (strings.test_heard || "microphone heard")
                                                : (strings.test_silent || "no sound from the microphone");
        }, function (err) {
          result.textContent = (strings.mic_denied || "microphone blocked") + " (" + ((err && err.name) || err) + ")";
        }).then(function () { b.disabled = false; meter.value = 0; });
      }
    });
    var form = document.getElementById("softphone-settings");
    function load() {
      return fetch(box.getAttribute("data-url"), {credentials: "same-origin"}).then(function (r) {
        return r.ok ? r.json() : null;
      });
    }
    load().then(function (account) {
      if (!account) return;
      form.phone.value = account.phone;
      form.auto_answer.checked = account.auto_answer;
      if (account.phone === "browser" && account.enabled) phone.start(account);
      else label.textContent = account.enabled ? (strings.desk_phone || "desk phone") : (strings.off || "off");
    });
    form.addEventListener("change", function () {
      var token = document.querySelector("meta[name=csrf-token]");
      fetch(box.getAttribute("data-settings-url"), {
        method: "POST", credentials: "same-origin",
        headers: Object.assign({"Content-Type": "application/json"}, token ? {"X-CSRFToken": token.content} : {}),
        body: JSON.stringify({phone: form.phone.value, auto_answer: form.auto_answer.checked})
      }).then(function () { return load(); }).then(function (account) {
        if (!account) return;
        phone.account = account;
        if (account.phone === "browser" && account.enabled && phone.state === "unregistered") phone.start(account);
        if (account.phone !== "browser" && phone.state !== "unregistered") phone.stop();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", panel); else panel();
})();
