// The DOM helpers every screen uses: elements, a screen, a problem said in plain words.
import { N_, _, errorMessage } from "./i18n.js";

export const main = document.getElementById("app");
export const nav = document.getElementById("nav");
let timer = null;

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Replace `el`'s children, leaving out the absent ones (`replaceChildren` would write "null"). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/** Run `tick` every second until the next screen. */
export function every(tick) {
  clearInterval(timer);
  timer = setInterval(tick, 1000);
  return timer;
}

export const stopTimer = () => clearInterval(timer);

let leaving = null;
/** Call `fn` once when the next screen replaces this one (the camera stops this way). */
export const onLeave = (fn) => {
  leaving = fn;
};

export function screen(id, title, ...content) {
  clearInterval(timer);
  if (leaving) {
    const fn = leaving;
    leaving = null;
    fn();
  }
  main.replaceChildren(h("section", { id: `screen-${id}`, class: "screen" }, h("h1", { text: title, tabindex: "-1" }), ...content));
  main.querySelector("h1").focus();
  for (const b of nav.querySelectorAll("button")) b.toggleAttribute("aria-current", b.dataset.go === id);
}

/** What went wrong, in plain words: the catalogue's message for the error code, else the wallet's own. */
export function problem(err) {
  const code = err && err.code;
  const own = {
    offline: N_("The city's service cannot be reached. Check your connection and try again."),
    invalid_grant: N_("The code is not right. Check it with the clerk."),
    tx_code_needed: N_("The code is not right. Check it with the clerk."),
    pin_wrong: N_("The PIN is not right. Try again."),
    pin_invalid: N_("A PIN has 4 to 32 digits."),
    pin_mismatch: N_("The two PINs are not the same. Type them again."),
    locked: N_("The wallet is locked. Enter your PIN."),
    vault_damaged: N_("What this wallet keeps cannot be read. Delete everything and visit a city desk."),
    camera_unavailable: N_("The camera cannot be used. Allow the camera for this app, or paste the request code instead."),
  }[code];
  const expired = code === "http_404" || (code === "invalid_request" && /offer/.test(err.message));
  const text = expired ? _("This offer has been used or has expired. Ask the desk for a new one.")
    : own ? _(own)
    : errorMessage(code) ?? _("It did not work: {detail}", { detail: err && err.message ? err.message : String(err) });
  return h("p", { class: "error", role: "alert", id: "error", text });
}
