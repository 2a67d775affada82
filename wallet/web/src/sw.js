// The app shell, cached at install so the wallet opens with no connection. Only the app's own
// files (the QR reader when first used): requests to the city's service (offers, tokens, credentials) always go to the network.
// build.mjs bundles this file and fills in the placeholders.
import { offlineShell } from "./swcore.js";

offlineShell({
  prefix: "citykey-wallet-",
  version: "__VERSION__",
  files: "__FILES__",
  // The QR reader (its chunk and .wasm) is fetched only when the camera first opens, then kept here.
  lazy: "__LAZY__",
});
