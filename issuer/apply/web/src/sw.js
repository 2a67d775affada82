// The page's own files, cached at install so it opens with no connection. Nothing else is
// cached: booking requests (/appointments…) always go to the network, and nothing typed is stored.
// build.mjs bundles this file and fills in the placeholders.
import { offlineShell } from "../../../../wallet/web/src/swcore.js";

offlineShell({ prefix: "citykey-apply-", version: "__VERSION__", files: "__FILES__" });
