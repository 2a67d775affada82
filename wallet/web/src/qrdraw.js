// Draw a QR code (encoded by qrcode-generator) on a canvas: black on white, a 4-module quiet zone,
// whole pixels per module so phone cameras and scanners read it at arm's length.
import qrcode from "qrcode-generator";

export function qrCanvas(text, { maxPixels = 720, level = "M", label = "" } = {}) {
  const symbol = qrcode(0, level);
  symbol.addData(text, /^[0-9A-Z $%*+\-./:]*$/.test(text) ? "Alphanumeric" : "Byte");
  symbol.make();
  const count = symbol.getModuleCount();
  const quiet = 4;
  const scale = Math.max(2, Math.floor(maxPixels / (count + 2 * quiet)));
  const size = (count + 2 * quiet) * scale;
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.className = "qr";
  canvas.setAttribute("role", "img");
  if (label) canvas.setAttribute("aria-label", label);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = "#000";
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < count; c++) {
      if (symbol.isDark(r, c)) ctx.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
    }
  }
  return canvas;
}
