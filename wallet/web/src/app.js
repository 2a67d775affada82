// The city wallet's screens. Plain DOM: every text through `t()`, every value through textContent.
import { CitykeyError } from "./errors.js";
import { chooseLanguage, formatDate, language, t } from "./i18n.js";
import { resolveOffer } from "./oid4vci.js";
import { encode } from "./qr.js";
import { qrCanvas } from "./qrdraw.js";
import { parseRequest } from "./request.js";
import { parseClaimPath } from "./sdjwt.js";
import * as store from "./store.js";
import * as wallet from "./wallet.js";

const main = document.getElementById("app");
const nav = document.getElementById("nav");
let timer = null;

function h(tag, attrs = {}, ...children) {
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

function screen(id, title, ...content) {
  clearInterval(timer);
  main.replaceChildren(h("section", { id: `screen-${id}`, class: "screen" }, h("h1", { text: title, tabindex: "-1" }), ...content));
  main.querySelector("h1").focus();
  for (const b of nav.querySelectorAll("button")) b.toggleAttribute("aria-current", b.dataset.go === id);
}

function problem(err) {
  const code = err && err.code;
  const message = {
    offline: "error_offline", invalid_grant: "error_tx_code", tx_code_needed: "error_tx_code",
    request_expired: "error_request_expired", claim_not_found: "error_claim_missing", malformed: "error_request_bad",
  }[code];
  const expired = code === "http_404" || (code === "invalid_request" && /offer/.test(err.message));
  const text = expired ? t("error_offer_gone") : message ? t(message) : t("error_generic", { detail: err && err.message ? err.message : String(err) });
  return h("p", { class: "error", role: "alert", id: "error", text });
}

const claimName = (path) => t(`claim_${path}`);
const typeName = (vct) => t(`type_${vct}`);

function valueText(value) {
  if (value === true) return t("yes");
  if (value === false) return t("no");
  if (value && typeof value === "object") return Object.values(value).filter((v) => typeof v === "string").join(", ");
  return String(value);
}

function claimList(claims) {
  const rows = [];
  for (const [name, value] of Object.entries(claims)) {
    if (["iss", "iat", "exp", "nbf", "vct", "cnf", "status"].includes(name)) continue;
    rows.push(h("div", { class: "claim" }, h("dt", { text: claimName(name) }), h("dd", { text: valueText(value) })));
  }
  return h("dl", { class: "claims" }, rows);
}

// --- home -------------------------------------------------------------------------------------------

async function home() {
  const all = await wallet.credentials();
  if (!all.length) {
    screen("home", t("empty_title"), h("p", { class: "lead", text: t("empty_text") }),
      h("button", { class: "primary", id: "go-add", onclick: () => add() , text: t("nav_add") }));
    return;
  }
  const byType = new Map(); // one card per configuration: the three residency passes share a vct
  for (const c of all) byType.set(c.configuration || c.vct, [...(byType.get(c.configuration || c.vct) || []), c]);
  const cards = [...byType].map(([, group]) => {
    const newest = group[group.length - 1];
    const vct = newest.vct;
    const fresh = group.filter((c) => c.uses === 0).length;
    return h("article", { class: "card" },
      h("h2", { text: typeName(vct) }),
      claimList(newest.claims),
      h("p", { class: "meta", text: t("fresh_left", { count: fresh }) }),
      newest.exp ? h("p", { class: "meta", text: t("expires_on", { date: formatDate(newest.exp) }) }) : null);
  });
  screen("home", t("cards_title"), h("div", { class: "cards" }, cards),
    h("div", { class: "actions" },
      h("button", { class: "primary", id: "go-show", onclick: () => show(), text: t("nav_show") }),
      h("button", { id: "go-answer", onclick: () => answer(), text: t("nav_answer") })));
}

// --- receive ------------------------------------------------------------------------------------------

async function add(offerText = "", linkRoot = null) {
  const input = h("textarea", { id: "offer-input", rows: "3", autocomplete: "off", spellcheck: "false" });
  input.value = offerText;
  const out = h("div", { id: "offer-out", "aria-live": "polite" });
  const check = async () => {
    out.replaceChildren();
    try {
      const resolved = await resolveOffer(input.value);
      offered(resolved, linkRoot, out);
    } catch (err) {
      out.replaceChildren(problem(err));
    }
  };
  screen("add", t("add_title"), h("p", { text: t("add_help") }),
    h("label", { for: "offer-input", text: t("offer_label") }), input,
    h("button", { class: "primary", id: "offer-check", onclick: check, text: t("offer_check") }), out);
  if (offerText) await check();
}

function offered(resolved, linkRoot, out) {
  const city = new URL(resolved.issuer).hostname;
  const code = h("input", { id: "tx-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "12", "aria-describedby": "tx-help" });
  const status = h("div", { id: "receive-status", "aria-live": "polite" });
  const go = async () => {
    button.disabled = true;
    status.replaceChildren(h("p", { text: t("receiving") }));
    try {
      const result = await wallet.receive(resolved, { txCode: code.value.trim(), linkRoot });
      received(result);
    } catch (err) {
      button.disabled = false;
      status.replaceChildren(problem(err));
    }
  };
  const button = h("button", { class: "primary", id: "receive", onclick: go, text: t("receive") });
  out.replaceChildren(
    h("p", { class: "lead", id: "offer-summary", text: t("offer_from", { city, types: resolved.names.join(", ") }) }),
    resolved.txCode !== null ? h("div", { class: "field" },
      h("label", { for: "tx-code", text: t("tx_code_label") }), code, h("p", { id: "tx-help", class: "help", text: t("tx_code_help") })) : null,
    button, status);
}

async function received(result) {
  const kinds = new Map();
  for (const c of result.credentials) kinds.set(c.configuration, c);
  const bundle = await wallet.currentBundle();
  screen("received", t("received_title"),
    h("p", { class: "lead", id: "received-count", text: t("received_text", { count: result.credentials.length }) }),
    result.incomplete ? h("p", { class: "error", role: "alert", text: t("received_incomplete") }) : null,
    ...[...kinds.values()].map((c) => h("article", { class: "card" }, h("h2", { text: typeName(c.vct) }), claimList(c.claims))),
    bundle ? h("p", { class: "meta", text: t("trust_pinned", { root: bundle.root.slice(0, 8) }) }) : null,
    h("div", { class: "actions" },
      h("button", { class: "primary", id: "go-receipt", onclick: () => receipt(), text: t("nav_receipt") }),
      h("button", { id: "go-home", onclick: () => home(), text: t("nav_home") })));
}

// --- show (one-way, to a listed verifier) ----------------------------------------------------------------

async function show() {
  const bundle = await wallet.currentBundle();
  const verifiers = bundle ? bundle.verifiers : [];
  const all = await wallet.credentials();
  if (!all.length) return home();
  if (!verifiers.length) {
    screen("show", t("show_title"), h("p", { id: "no-verifiers", text: t("show_no_verifiers") }),
      h("button", { class: "primary", onclick: () => answer(), text: t("nav_answer") }));
    return;
  }
  const paths = wallet.claimPaths(all);
  const choices = h("fieldset", { class: "choices" }, h("legend", { text: t("show_choose") }),
    verifiers.map((v, i) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "verifier", value: String(i), checked: i === 0 }),
      h("span", { class: "name", text: v.name }), h("span", { class: "aud", text: new URL(v.aud).host }))));
  const what = h("fieldset", { class: "choices" }, h("legend", { text: t("show_what") }),
    [...paths.keys()].map((p) => h("label", { class: "choice" },
      h("input", { type: "checkbox", name: "claim", value: p, checked: p === "resident_of" }),
      h("span", { text: claimName(p) }))));
  const out = h("div", { "aria-live": "polite" });
  const go = async () => {
    const v = verifiers[Number(choices.querySelector("input:checked").value)];
    const chosen = [...what.querySelectorAll("input:checked")].map((i) => i.value);
    if (!chosen.length) return;
    try {
      await code(v.name, v.aud, chosen);
    } catch (err) {
      out.replaceChildren(problem(err));
    }
  };
  screen("show", t("show_title"), choices, what, h("button", { class: "primary", id: "show-code", onclick: go, text: t("show_button") }), out);
}

async function code(name, aud, claims, nonce = undefined) {
  const started = performance.now();
  const { text, iat, shown } = await wallet.presentTo(claims.map(parseClaimPath), { aud, nonce });
  const qrText = encode(text);
  const canvas = qrCanvas(qrText, { maxPixels: Math.min(1000, Math.floor(Math.min(innerWidth, innerHeight) * devicePixelRatio)), label: t("code_title", { name }) });
  const countdown = h("p", { class: "countdown", id: "countdown", "aria-live": "off" });
  const again = h("button", { id: "code-again", hidden: true, onclick: () => code(name, aud, claims, nonce), text: t("code_again") });
  screen("code", t("code_title", { name }),
    h("div", { class: "qr-box", id: "code-qr", "data-qr": qrText }, canvas),
    countdown,
    h("div", { class: "discloses" }, h("p", { text: t("code_discloses") }),
      h("ul", { id: "disclosed" }, shown.map((c) => h("li", { text: claimName(c) })))),
    h("p", { class: "meta", text: t("code_once") }),
    h("div", { class: "actions" }, again, h("button", { class: "primary", id: "code-done", onclick: () => home(), text: t("done") })));
  main.querySelector("#code-qr").dataset.renderMs = String(Math.round(performance.now() - started));
  const window = nonce === undefined ? wallet.ONE_WAY_SECONDS : 120;
  const tick = () => {
    const left = iat + window - Math.floor(Date.now() / 1000);
    if (left > 0) countdown.textContent = t("code_countdown", { seconds: left });
    else {
      clearInterval(timer);
      countdown.textContent = t("code_expired");
      canvas.classList.add("expired");
      again.hidden = false;
    }
  };
  tick();
  timer = setInterval(tick, 1000);
}

// --- answer a challenge -----------------------------------------------------------------------------------

async function answer() {
  const input = h("textarea", { id: "request-input", rows: "3", autocomplete: "off", spellcheck: "false" });
  const out = h("div", { id: "request-out", "aria-live": "polite" });
  const check = async () => {
    out.replaceChildren();
    try {
      const bundle = await wallet.currentBundle();
      const request = await parseRequest(input.value, { now: Math.floor(Date.now() / 1000), verifiers: bundle ? bundle.verifiers : null });
      asked(request, out);
    } catch (err) {
      const first = err.errors ? err.errors[0] : err;
      out.replaceChildren(problem(first));
    }
  };
  screen("answer", t("answer_title"), h("p", { text: t("answer_help") }),
    h("label", { for: "request-input", text: t("answer_label") }), input,
    h("button", { class: "primary", id: "request-check", onclick: check, text: t("answer_check") }), out);
}

function asked(request, out) {
  const listed = request.signer !== null;
  out.replaceChildren(
    h("p", { class: "lead", id: "asker", text: listed ? t("asker_listed", { name: request.displayName }) : t("asker_unknown", { name: request.name }) }),
    listed ? null : h("p", { class: "warning", text: t("asker_unknown_note") }),
    h("ul", { id: "asked" }, request.claims.map((c) => h("li", { text: claimName(c) }))),
    h("div", { class: "actions" },
      h("button", { class: "primary", id: "share", onclick: () => code(request.displayName, request.aud, request.claims, request.nonce).catch((err) => out.append(problem(err))), text: t("share") }),
      h("button", { id: "decline", onclick: () => out.replaceChildren(h("p", { text: t("declined") })), text: t("decline") })));
}

// --- receipt and manage ----------------------------------------------------------------------------------------

async function receipt() {
  const all = await wallet.receipts();
  if (!all.length) {
    screen("receipt", t("receipt_title"), h("p", { text: t("receipt_none") }));
    return;
  }
  const last = all[all.length - 1];
  const save = () => {
    const url = URL.createObjectURL(new Blob([all.join("\n") + "\n"], { type: "text/plain" }));
    const a = h("a", { href: url, download: "citykey-receipt.txt" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  screen("receipt", t("receipt_title"), h("p", { text: t("receipt_help") }),
    h("div", { class: "qr-box", id: "receipt-qr", "data-qr": last }, qrCanvas(last, { maxPixels: 640, label: t("receipt_title") })),
    h("button", { class: "primary", id: "receipt-save", onclick: save, text: t("receipt_save") }));
}

async function manage() {
  const all = await store.allCredentials();
  const rows = all.map((c) => h("li", {},
    h("strong", { text: typeName(c.vct) }), " — ",
    c.exp ? t("expires_on", { date: formatDate(c.exp) }) : "", " — ", t("manage_uses", { uses: c.uses })));
  const out = h("div", { "aria-live": "polite" });
  const wipe = async () => {
    if (!confirm(t("manage_delete_confirm"))) return;
    await wallet.wipe();
    out.replaceChildren(h("p", { id: "wiped", text: t("manage_deleted") }));
    list.replaceChildren();
  };
  const list = h("ul", { class: "manage-list" }, rows);
  screen("manage", t("manage_title"), list,
    h("button", { class: "danger", id: "wipe", onclick: wipe, text: t("manage_delete") }), out);
}

// --- start -------------------------------------------------------------------------------------------------------

const SCREENS = { home, add: () => add(), show, answer, receipt, manage };

function navigation() {
  nav.replaceChildren(
    ...[["home", "nav_home"], ["add", "nav_add"], ["show", "nav_show"], ["answer", "nav_answer"], ["receipt", "nav_receipt"], ["manage", "nav_manage"]]
      .map(([id, label]) => h("button", { "data-go": id, onclick: () => SCREENS[id](), text: t(label) })),
  );
  const select = h("select", { id: "lang", "aria-label": t("language") },
    h("option", { value: "en", text: "English" }), h("option", { value: "es", text: "Español" }));
  select.value = language();
  select.addEventListener("change", async () => {
    await store.setMeta("lang", select.value);
    chooseLanguage(select.value);
    navigation();
    home();
  });
  document.getElementById("lang-slot").replaceChildren(select);
  document.getElementById("app-name").textContent = t("app_name");
  document.title = t("app_name");
}

async function start() {
  chooseLanguage(await store.getMeta("lang"));
  navigation();
  const fragment = new URLSearchParams(location.hash.slice(1));
  const offer = fragment.get("offer");
  if (offer) {
    history.replaceState(null, "", location.pathname + location.search); // the offer never lingers in the address bar
    await add(offer, fragment.get("root"));
  } else {
    await home();
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("./sw.js").then(() => navigator.serviceWorker.ready).then(() => {
      document.body.dataset.offlineReady = "true";
    }).catch(() => {});
  }
}

window.addEventListener("error", (e) => console.error(e.message));
start().catch((err) => main.replaceChildren(problem(err instanceof CitykeyError ? err : new CitykeyError("internal", String(err)))));
