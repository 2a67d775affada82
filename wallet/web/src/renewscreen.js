// The renewal part of the Manage screen: renew online, by default cancelling the old batch.
import { _ } from "./i18n.js";
import { renew, renewable } from "./renewal.js";
import { fill, h, problem } from "./ui.js";
import * as store from "./store.js";
import * as wallet from "./wallet.js";

export async function renewSection(after) {
  if (!renewable(await store.allCredentials())) return null;
  const revoke = h("input", { type: "checkbox", id: "renew-revoke", checked: true });
  const status = h("div", { id: "renew-status", "aria-live": "polite" });
  const go = async () => {
    button.disabled = true;
    status.replaceChildren(h("p", { text: _("Renewing and checking your credentials…") }));
    try {
      const result = await renew({ bundleFor: (issuer) => wallet.fetchBundle(issuer), revokeOld: revoke.checked });
      fill(status,
        h("p", { class: "lead", id: "renew-count", text: _("{count} new credentials, checked against the city's signature.", { count: result.credentials.length }) }),
        result.revoked ? h("p", { id: "renew-revoked", text: _("The old credentials were cancelled.") }) : null,
        h("p", { text: _("Keep the new receipt apart from your phone.") }),
        h("button", { class: "primary", id: "renew-done", onclick: () => after(), text: _("Done") }));
    } catch (err) {
      button.disabled = false;
      status.replaceChildren(problem(err));
    }
  };
  const button = h("button", { class: "primary", id: "renew", onclick: go, text: _("Renew now") });
  return h("section", { class: "pin-section" }, h("h2", { text: _("Renew your credentials") }),
    h("p", { text: _("Get a new batch from the city without a visit. It needs a connection.") }),
    h("label", { class: "choice" }, revoke, h("span", { text: _("Cancel the old credentials (recommended)") })),
    button, status);
}
