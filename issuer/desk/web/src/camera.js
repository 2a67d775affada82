// The desk's "Scan with the camera": reads the resident's `CKA1:` pre-application QR code with the
// desk computer's camera, puts the text into the scan field and submits the same form a handheld
// scanner does, so the server's decoding, checks and "never stored or logged" rules stay one
// (POST /desk/scan). The QR reader (zxing-wasm) is a chunk of its own, loaded only when the
// button is pressed, and its .wasm is one of the desk's own files (never a CDN). Frames are read
// in the page; none leaves it. The page works without this file: the button stays hidden.
import { loadReader, readFrames } from "../../../../wallet/web/src/qrreader.js";

const PREFIX = "CKA1:";

const button = document.getElementById("camera-start");
const form = document.getElementById("scan-form");
const field = document.getElementById("scan-code");
const slot = document.getElementById("camera-slot");
const status = document.getElementById("camera-status");
if (button && form && field && slot && status && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  button.hidden = false;
  button.addEventListener("click", () => start());
}

function say(key) {
  status.textContent = status.dataset[key] || "";
}

async function start() {
  button.disabled = true;
  say("starting");
  let stream;
  let zxing;
  try {
    [stream, zxing] = await Promise.all([
      navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false }),
      loadReader(),
    ]);
  } catch {
    if (stream) for (const track of stream.getTracks()) track.stop();
    button.disabled = false;
    say("failed");
    return;
  }
  const video = document.createElement("video");
  video.id = "camera-video";
  video.muted = true;
  video.playsInline = true;
  video.setAttribute("aria-label", status.dataset.view || "");
  video.srcObject = stream;
  const stopButton = document.createElement("button");
  stopButton.type = "button";
  stopButton.className = "secondary";
  stopButton.id = "camera-stop";
  stopButton.textContent = status.dataset.stop || "";
  let running = true;
  const stop = () => {
    running = false;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
    slot.replaceChildren();
    button.disabled = false;
  };
  stopButton.addEventListener("click", () => { stop(); say("stopped"); button.focus(); });
  window.addEventListener("pagehide", stop, { once: true });
  slot.replaceChildren(video, stopButton);
  say("point");
  await video.play();
  readFrames(zxing, video, PREFIX, () => running, (text) => {
    stop();
    say("read");
    field.value = text;
    form.requestSubmit();
  });
}
