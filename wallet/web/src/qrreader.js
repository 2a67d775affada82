// The QR reader both browser apps use with a camera (the wallet's challenge scan, the desk's
// pre-application scan): zxing-wasm, the ZXing-C++ reader as WebAssembly, loaded once and only
// when a camera first opens, with its .wasm from the app's own folder (never a CDN); and the loop
// that reads the video's frames in the page until a code of the wanted kind appears. Frames never
// leave the page.
export const WASM = "zxing_reader.wasm";
const FRAME_MS = 120;
let reader = null;

/** The reader, loaded once: the chunk, then its .wasm from beside the app's script. */
export function loadReader() {
  if (!reader) {
    reader = import("zxing-wasm/reader").then(async (zxing) => {
      const own = new URL(`./${WASM}`, import.meta.url).href;
      await zxing.prepareZXingModule({
        overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? own : prefix + path) },
        fireImmediately: true,
      });
      return zxing;
    });
    reader.catch(() => {
      reader = null; // offline before it was ever cached: try again next time
    });
  }
  return reader;
}

/**
 * Read `video`'s frames with `zxing` while `running()` holds; the first valid QR code whose text
 * starts with `prefix` (or one of a list of prefixes) goes to `found(text)`, and reading stops.
 */
export function readFrames(zxing, video, prefix, running, found) {
  const prefixes = Array.isArray(prefix) ? prefix : [prefix];
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const read = async () => {
    if (!running()) return;
    if (video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const results = await zxing.readBarcodes(image, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 });
      const text = results.find((r) => r.isValid && prefixes.some((p) => r.text.startsWith(p)))?.text;
      if (text && running()) {
        found(text);
        return;
      }
    }
    setTimeout(read, FRAME_MS);
  };
  read();
}
