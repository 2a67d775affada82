// The PIN's screens: unlock at start, confirm before a code is shown, set or remove it (Manage),
// and "forgot PIN", which can only delete everything: nothing else can read what the PIN sealed.
import { N_, _ } from "./i18n.js";
import { CitykeyError } from "./errors.js";
import { h, nav, problem, screen } from "./ui.js";
import * as store from "./store.js";

const pinInput = (id, label, help = null) => [
  h("label", { for: id, text: label }),
  h("input", { id, type: "password", inputmode: "numeric", autocomplete: "off", maxlength: "32", class: "pin", "aria-describedby": help ? `${id}-help` : null }),
  help ? h("p", { id: `${id}-help`, class: "help", text: help }) : null,
];

/**
 * Ask for the PIN and unlock with it. Resolves true once the PIN is right, false when the resident
 * cancels (only where `cancel` is given) or deletes everything after forgetting it.
 */
let redraw = null; // the PIN prompt on screen, drawn again when the language changes

/** Draw the PIN prompt on screen again (in the language just chosen); false when there is none. */
export function redrawPin() {
  if (!redraw) return false;
  redraw();
  return true;
}

export function askPin(options = {}) {
  return new Promise((resolve) => {
    const done = (value) => {
      redraw = null;
      resolve(value);
    };
    redraw = () => pinPrompt(options, done);
    redraw();
  });
}

function pinPrompt({ title = N_("Enter your PIN"), lead = N_("Your wallet is protected by a PIN."), cancel = null }, resolve) {
  const locked = !store.isUnlocked();
  nav.hidden = locked; // nothing else can be read while locked
  const out = h("div", { id: "pin-out", "aria-live": "polite" });
  const fields = pinInput("pin-input", _("Your PIN"));
  const input = fields[1];
  const unlock = async (event) => {
    event.preventDefault();
    button.disabled = true;
    out.replaceChildren(h("p", { text: _("Checking…") }));
    try {
      await store.unlock(input.value);
      nav.hidden = false;
      resolve(true);
    } catch (err) {
      input.value = "";
      out.replaceChildren(problem(err));
      input.focus();
    } finally {
      button.disabled = false;
    }
  };
  const button = h("button", { class: "primary", id: "pin-unlock", type: "submit", text: _("Continue") });
  const form = h("form", { id: "pin-form", onsubmit: unlock }, fields, h("div", { class: "actions" }, button,
    cancel ? h("button", { type: "button", id: "pin-cancel", onclick: () => resolve(false), text: _("Cancel") }) : null));
  screen("pin", _(title), h("p", { class: "lead", text: _(lead) }), form, out,
    h("button", { class: "link", id: "pin-forgot", onclick: () => forgot(resolve), text: _("I forgot my PIN") }));
  input.focus();
}

function forgot(resolve) {
  const out = h("div", { "aria-live": "polite" });
  const wipe = async () => {
    if (!confirm(_("Delete every credential, key and receipt from this phone? This cannot be undone."))) return;
    await store.wipe();
    nav.hidden = false;
    resolve(false);
  };
  screen("pin-forgot", _("Forgot your PIN?"),
    h("p", { class: "lead", id: "forgot-text", text: _("Nobody can recover your PIN, not even the city: it is not kept anywhere. The only way to use this app again is to delete everything on this phone, then get new credentials at a city desk.") }),
    h("div", { class: "actions" },
      h("button", { class: "danger", id: "forgot-delete", onclick: wipe, text: _("Delete everything") }),
      h("button", { id: "forgot-back", onclick: () => redrawPin(), text: _("Back") })),
    out);
}

/** The PIN part of the Manage screen: set one, or remove it. `after` shows the screen again. */
export async function pinSection(after) {
  const out = h("div", { id: "pin-status", "aria-live": "polite" });
  if (await store.hasPin()) {
    const remove = async () => {
      if (!(await askPin({ title: N_("Enter your PIN to remove it"), cancel: true }))) return after();
      try {
        await store.removePin();
        await after();
      } catch (err) {
        out.replaceChildren(problem(err));
      }
    };
    return h("section", { class: "pin-section" }, h("h2", { text: _("PIN protection") }),
      h("p", { id: "pin-on", text: _("A PIN protects this wallet. It is asked when the app opens and before each code.") }),
      h("button", { id: "pin-remove", onclick: remove, text: _("Remove the PIN") }), out);
  }
  const [l1, first, help] = pinInput("pin-new", _("New PIN"), _("4 to 32 digits. Nobody can recover it: if you forget it, you must delete everything and visit a city desk."));
  const [l2, second] = pinInput("pin-repeat", _("Type the new PIN again"));
  const save = async (event) => {
    event.preventDefault();
    try {
      if (!/^[0-9]{4,32}$/.test(first.value)) throw new CitykeyError("pin_invalid", "a PIN has 4 to 32 digits");
      if (first.value !== second.value) throw new CitykeyError("pin_mismatch", "the two PINs differ");
      out.replaceChildren(h("p", { text: _("Protecting your wallet…") }));
      await store.setPin(first.value);
      await after();
    } catch (err) {
      out.replaceChildren(problem(err));
    }
  };
  return h("section", { class: "pin-section" }, h("h2", { text: _("PIN protection") }),
    h("p", { text: _("With a PIN, what this wallet keeps is encrypted on the phone, and a code is shown only after the PIN.") }),
    h("form", { id: "pin-set", onsubmit: save }, l1, first, help, l2, second,
      h("button", { class: "primary", id: "pin-save", type: "submit", text: _("Set PIN") })), out);
}
