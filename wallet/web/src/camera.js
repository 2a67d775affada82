// Reading a verifier's `CKQ1:` challenge, or a city web service's `openid4vp://` request, with the
// phone's camera. The QR reader (zxing-wasm, the ZXing-C++ reader as WebAssembly) is loaded only
// when the camera opens: its script is a separate chunk and its .wasm is one of the app's own files
// (never a CDN), cached by the service worker for use offline. Frames are read on the phone;
// nothing leaves it.
import { CitykeyError } from "./errors.js";
import { _ } from "./i18n.js";
import { SCHEME } from "./invocation.js";
import { PREFIX } from "./request.js";
import { loadReader, readFrames } from "./qrreader.js";
import { h, onLeave } from "./ui.js";

/**
 * Show the camera in `slot` and call `found(text)` with the first `CKQ1:` or `openid4vp://` QR code
 * it sees; the camera stops then, on `Stop`, or when the screen changes. Rejections say why in plain words.
 */
export async function scan(slot, found) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new CitykeyError("camera_unavailable", "this browser has no camera access");
  const status = h("p", { id: "scan-status", "aria-live": "polite", text: _("Starting the camera…") });
  slot.replaceChildren(status);
  let stream;
  let zxing;
  try {
    [stream, zxing] = await Promise.all([
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false }),
      loadReader(),
    ]);
  } catch (err) {
    slot.replaceChildren();
    if (stream) for (const track of stream.getTracks()) track.stop();
    throw err instanceof CitykeyError ? err : new CitykeyError("camera_unavailable", String(err && err.message));
  }
  const video = h("video", { id: "scan-video", playsinline: true, muted: true, "aria-label": _("Camera view") });
  video.srcObject = stream;
  let running = true;
  const stop = () => {
    running = false;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  onLeave(stop);
  const cancel = h("button", { id: "scan-stop", onclick: () => { stop(); slot.replaceChildren(); }, text: _("Stop the camera") });
  status.textContent = _("Point the camera at the verifier's code.");
  slot.replaceChildren(h("div", { class: "scan-box" }, video), status, cancel);
  await video.play();
  readFrames(zxing, video, [PREFIX, SCHEME], () => running, (text) => {
    stop();
    slot.replaceChildren();
    found(text);
  });
}
