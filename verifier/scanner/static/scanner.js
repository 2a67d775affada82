// The scanner page: camera frames and the handheld scanner's typed text go to this kiosk's own
// service, which decides; the result shows until the next scan or a timeout, then is wiped.
"use strict";
(function () {
  const body = document.body;
  const lang = body.dataset.lang;
  const mode = body.dataset.mode;
  const resultSeconds = Number(body.dataset.resultSeconds) * 1000;
  const text = window.CITYKEY_TEXT;
  const result = document.getElementById("result");
  const wedge = document.getElementById("wedge");
  const video = document.getElementById("camera");
  const cameraState = document.getElementById("camera-state");
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 480;
  let busy = false;
  let showing = false;
  let clearTimer = null;
  let audio = null;

  function tone(accepted) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const notes = accepted ? [[880, 0], [1320, 0.12]] : [[220, 0], [180, 0.18]];
      for (const [freq, at] of notes) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = accepted ? "sine" : "square";
        osc.frequency.value = freq;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + at);
        osc.stop(audio.currentTime + at + (accepted ? 0.12 : 0.3));
      }
    } catch (e) { /* no audio device: the screen still says it */ }
  }

  function clearResult() {
    showing = false;
    result.hidden = true;
    result.className = "";
    for (const id of ["result-title", "result-reasons", "result-claims", "result-paper"]) {
      document.getElementById(id).replaceChildren();
    }
    document.body.dataset.outcome = "";
    if (clearTimer) { clearTimeout(clearTimer); clearTimer = null; }
    wedge.focus();
    if (mode === "challenge") { refreshChallenge(); }
  }

  function show(decision) {
    if (decision.outcome === "none") { return; }
    clearResult();
    showing = true;
    result.className = decision.outcome;
    document.getElementById("result-title").textContent = decision.title;
    const paper = document.getElementById("result-paper");
    paper.hidden = !decision.paper;
    paper.textContent = decision.paper || "";
    const reasons = document.getElementById("result-reasons");
    for (const reason of decision.reasons) {
      const li = document.createElement("li");
      li.textContent = reason;
      reasons.append(li);
    }
    const claims = document.getElementById("result-claims");
    for (const claim of decision.claims) {
      const dt = document.createElement("dt");
      dt.textContent = claim.label;
      const dd = document.createElement("dd");
      dd.textContent = claim.value;
      claims.append(dt, dd);
    }
    document.body.dataset.outcome = decision.outcome;
    result.hidden = false;
    result.focus();
    tone(decision.accepted);
    clearTimer = setTimeout(clearResult, resultSeconds);
  }

  async function post(path, payload, type) {
    const response = await fetch(path + "?lang=" + encodeURIComponent(lang), {
      method: "POST", body: payload, headers: { "Content-Type": type }, cache: "no-store",
    });
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    return response.json();
  }

  function note(kind, line) {
    const banners = document.getElementById("banners");
    if (!banners.querySelector("." + kind)) {
      const p = document.createElement("p");
      p.className = "banner " + kind;
      p.textContent = line;
      banners.append(p);
    }
  }
  function serverGone() { note("gone", text.server_gone); }
  window.addEventListener("offline", () => note("offline", text.offline));

  document.getElementById("wedge-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = wedge.value.trim();
    wedge.value = "";
    if (!value) { return; }
    try { show(await post("/api/scan", JSON.stringify({ text: value }), "application/json")); }
    catch (e) { serverGone(); }
  });
  document.getElementById("result-next").addEventListener("click", clearResult);
  document.addEventListener("keydown", (event) => {
    if (showing && event.key === "Escape") { clearResult(); }
    if (showing && event.key.length === 1) { clearResult(); wedge.focus(); }  // the handheld scanner types: next scan
  });

  async function refreshChallenge() {
    try {
      const challenge = await post("/api/challenge", "", "application/json");
      const holder = document.getElementById("challenge-qr");
      holder.innerHTML = challenge.svg;  // our own server's SVG from segno, no user text
      holder.dataset.request = challenge.text;
      clearTimeout(refreshChallenge.timer);
      refreshChallenge.timer = setTimeout(refreshChallenge, Math.max(10, challenge.expires_in - 20) * 1000);
    } catch (e) { serverGone(); }
  }

  async function refreshState() {
    try {
      const response = await fetch("/api/state?lang=" + encodeURIComponent(lang), { cache: "no-store" });
      const state = await response.json();
      const banners = document.getElementById("banners");
      const lines = navigator.onLine ? state.banners : [...new Set([...state.banners, text.offline])];
      banners.replaceChildren(...lines.map((line) => {
        const p = document.createElement("p");
        p.className = "banner";
        p.textContent = line;
        return p;
      }));
      body.dataset.stale = state.stale ? "yes" : "no";
      body.dataset.offline = state.offline ? "yes" : "no";
    } catch (e) { serverGone(); }
  }

  async function scanFrames() {
    if (!busy && !showing && video.readyState >= 2) {
      busy = true;
      try {
        canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
        const decision = await post("/api/frame", blob, "image/jpeg");
        show(decision);
      } catch (e) { serverGone(); }
      busy = false;
    }
    setTimeout(scanFrames, 150);
  }

  async function startCamera() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
      video.srcObject = stream;
      cameraState.textContent = text.camera_on;
      body.dataset.camera = "on";
      scanFrames();
    } catch (e) {
      cameraState.textContent = text.camera_off;
      body.dataset.camera = "off";
    }
  }

  if (mode === "challenge") { refreshChallenge(); }
  refreshState();
  setInterval(refreshState, 30000);
  startCamera();
  wedge.focus();
})();
