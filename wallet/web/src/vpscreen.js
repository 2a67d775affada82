// Answering a city web service over OpenID4VP: who asks (the city's name for it), what it asks for
// in words, Agree or Decline. Loaded only when the resident opens such a request (with src/openid4vp.js
// and the JWE library), so the app's first load stays as it was.
import { CitykeyError } from "./errors.js";
import { N_, _ } from "./i18n.js";
import { claimName } from "./labels.js";
import { askPin } from "./pinscreens.js";
import * as store from "./store.js";
import { fill, h, problem, screen } from "./ui.js";
import { answer, decline, fetchRequest } from "./vpwallet.js";
import * as wallet from "./wallet.js";

const now = () => Math.floor(Date.now() / 1000);
const first = (err) => (err && err.errors ? err.errors[0] : err);

/** Fetch and check the request behind `link`, then ask the resident in `out`; `home` shows the wallet again. */
export async function askOnline(link, out, { home }) {
  fill(out, h("p", { id: "request-loading", text: _("Fetching the service's request…") }));
  let asked;
  try {
    const bundle = await wallet.currentBundle();
    if (!bundle) throw new CitykeyError("bundle_stale", "the wallet holds no valid trust bundle to check the service against");
    asked = await fetchRequest(link, { bundle, now: now() });
  } catch (err) {
    out.replaceChildren(problem(first(err)));
    return;
  }
  const { request, verifier } = asked;
  const status = h("div", { id: "agree-status", "aria-live": "polite" });
  const agree = async () => {
    buttons.hidden = true;
    if (await store.hasPin()) {
      if (!(await askPin({ title: N_("Enter your PIN to answer"), lead: N_("Your answer is sent only after your PIN."), cancel: true }))) return home();
      screen("answer", _("Answer a request"), out); // the PIN prompt took the screen: the request again, with its status
    }
    status.replaceChildren(h("p", { text: _("Sending your answer…") }));
    try {
      const sent = await answer(asked, { present: wallet.presentTo });
      answered(verifier.name, disclosedNames(request.dcql.claimNames, sent.shown.flatMap((s) => s.shown)), home);
    } catch (err) {
      buttons.hidden = false;
      status.replaceChildren(problem(first(err)));
    }
  };
  const refuse = async () => {
    buttons.hidden = true;
    let told = true;
    try {
      await decline(asked);
    } catch {
      told = false; // nothing was shared either way; the service's page waits until its request expires
    }
    fill(out, h("p", { id: "declined", text: _("Nothing was shared.") }),
      h("p", { id: "declined-told", text: told ? _("The service was told you declined.") : _("The service could not be told you declined.") }));
  };
  const buttons = h("div", { class: "actions" },
    h("button", { class: "primary", id: "agree", onclick: agree, text: _("Agree") }),
    h("button", { id: "decline", onclick: refuse, text: _("Decline") }));
  fill(out,
    h("p", { class: "lead", id: "asker", text: _("{name} asks for:", { name: verifier.name }) }),
    h("p", { class: "meta", id: "asker-address", text: new URL(verifier.aud).host }),
    h("ul", { id: "asked" }, request.dcql.claimNames.map((c) => h("li", { text: claimName(c) }))),
    h("p", { text: _("Only what is listed is sent, encrypted for this service alone.") }),
    buttons, status);
}

/** What left the phone, as the request named it (`address`, not its parts), then anything always shown with it. */
function disclosedNames(asked, shown) {
  const top = (c) => c.split(".")[0];
  const sent = new Set(shown.map(top));
  const named = asked.filter((c) => sent.has(top(c)));
  return [...new Set([...named, ...[...sent].filter((t) => !asked.some((c) => top(c) === t))])];
}

function answered(name, shown, home) {
  screen("answered", _("Answer sent"),
    h("p", { class: "lead", text: _("{name} received only:", { name }) }),
    h("ul", { id: "disclosed" }, shown.map((c) => h("li", { text: claimName(c) }))),
    h("p", { class: "meta", text: _("The service's page shows what it learnt. Nothing else left your phone.") }),
    h("div", { class: "actions" }, h("button", { class: "primary", id: "answered-done", onclick: () => home(), text: _("Done") })));
}
