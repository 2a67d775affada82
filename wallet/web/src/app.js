// The city wallet's screens. Plain DOM: every text through `_()` (the city's catalogue), every value through textContent.
import { CitykeyError } from "./errors.js";
import { N_, _, chooseLanguage, formatDate, language, languages, loadCatalogues } from "./i18n.js";
import { claimName, typeName } from "./labels.js";
import { resolveOffer } from "./oid4vci.js";
import { encode } from "./qr.js";
import { qrCanvas } from "./qrdraw.js";
import { isInvocation } from "./invocation.js";
import { checkAnswerable, parseRequest } from "./request.js";
import { parseClaimPath } from "./sdjwt.js";
import * as store from "./store.js";
import * as wallet from "./wallet.js";
import { askPin, pinSection, redrawPin } from "./pinscreens.js";
import { scan } from "./camera.js";
import { renewSection } from "./renewscreen.js";
import { every, fill, h, main, nav, problem, screen, stopTimer } from "./ui.js";

function valueText(value) {
  if (value === true) return _("yes");
  if (value === false) return _("no");
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

/**
 * One card per configuration (the three residency passes share a vct), but one for all fact passes:
 * each states one fact, so the card lists every fact they can prove, not one card per age.
 */
function cardGroups(all) {
  const groups = new Map();
  for (const c of all) {
    const key = c.vct === wallet.PASS_VCT ? c.vct : c.configuration || c.vct;
    groups.set(key, [...(groups.get(key) || []), c]);
  }
  return groups;
}

/** The claims a card shows: a credential's, or, for the fact passes, every fact any of them states. */
const groupClaims = (group) => (group[0].vct === wallet.PASS_VCT ? Object.assign({}, ...group.map((c) => c.claims)) : group[group.length - 1].claims);

async function home() {
  const all = await wallet.credentials();
  if (!all.length) {
    screen("home", _("Your wallet is empty"), h("p", { class: "lead", text: _("At the city desk, the clerk shows a code. Scan it with your phone's camera: it opens this app with your offer.") }),
      h("button", { class: "primary", id: "go-add", onclick: () => add() , text: _("Add from the desk") }));
    return;
  }
  const cards = [...cardGroups(all)].map(([, group]) => {
    const newest = group[group.length - 1];
    const fresh = group.filter((c) => c.uses === 0).length;
    return h("article", { class: "card" },
      h("h2", { text: typeName(newest.vct) }),
      claimList(groupClaims(group)),
      h("p", { class: "meta", text: _("{count} fresh codes left", { count: fresh }) }),
      newest.exp ? h("p", { class: "meta", text: _("Valid until {date}", { date: formatDate(newest.exp) }) }) : null);
  });
  screen("home", _("Your credentials"), h("div", { class: "cards" }, cards),
    h("div", { class: "actions" },
      h("button", { class: "primary", id: "go-show", onclick: () => show(), text: _("Show a code") }),
      h("button", { id: "go-answer", onclick: () => answer(), text: _("Answer a request") })));
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
  screen("add", _("Add your credentials"), h("p", { text: _("Paste the offer link the desk gave you, if the app did not open with it.") }),
    h("label", { for: "offer-input", text: _("Offer link") }), input,
    h("button", { class: "primary", id: "offer-check", onclick: check, text: _("Continue") }), out);
  if (offerText) await check();
}

function offered(resolved, linkRoot, out) {
  const { city } = resolved;
  const code = h("input", { id: "tx-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "12", "aria-describedby": "tx-help" });
  const status = h("div", { id: "receive-status", "aria-live": "polite" });
  const go = async () => {
    button.disabled = true;
    status.replaceChildren(h("p", { text: _("Receiving and checking your credentials…") }));
    try {
      const result = await wallet.receive(resolved, { txCode: code.value.trim(), linkRoot });
      received(result);
    } catch (err) {
      button.disabled = false;
      status.replaceChildren(problem(err));
    }
  };
  const button = h("button", { class: "primary", id: "receive", onclick: go, text: _("Receive") });
  fill(out,
    h("p", { class: "lead", id: "offer-summary", text: _("{city} offers you: {types}", { city, types: resolved.vcts.map(typeName).join(", ") }) }),
    resolved.txCode !== null ? h("div", { class: "field" },
      h("label", { for: "tx-code", text: _("Code shown at the desk") }), code, h("p", { id: "tx-help", class: "help", text: _("Type the 6 digits the clerk shows or reads out. They are never in the QR code.") })) : null,
    button, status);
}

async function received(result) {
  const kinds = cardGroups(result.credentials);
  const bundle = await wallet.currentBundle();
  screen("received", _("Added to your wallet"),
    h("p", { class: "lead", id: "received-count", text: _("{count} credentials, checked against the city's signature. This is what they say:", { count: result.credentials.length }) }),
    result.incomplete ? h("p", { class: "error", role: "alert", text: _("Some credentials could not be received; those shown were kept.") }) : null,
    ...[...kinds.values()].map((group) => h("article", { class: "card" }, h("h2", { text: typeName(group[0].vct) }), claimList(groupClaims(group)))),
    bundle ? h("p", { class: "meta", text: _("City key: {root}", { root: bundle.root.slice(0, 8) }) }) : null,
    h("div", { class: "actions" },
      h("button", { class: "primary", id: "go-receipt", onclick: () => receipt(), text: _("Receipt") }),
      h("button", { id: "go-home", onclick: () => home(), text: _("My wallet") })));
}

// --- show (one-way, to a listed verifier) ----------------------------------------------------------------

async function show() {
  const bundle = await wallet.currentBundle();
  const verifiers = bundle ? bundle.verifiers : [];
  const all = await wallet.credentials();
  if (!all.length) return home();
  if (!verifiers.length) {
    screen("show", _("Show a code"), h("p", { id: "no-verifiers", text: _("The city lists no verifiers yet. Use \"Answer a request\" when a verifier shows you a code.") }),
      h("button", { class: "primary", onclick: () => answer(), text: _("Answer a request") }));
    return;
  }
  const paths = wallet.claimPaths(all);
  const choices = h("fieldset", { class: "choices" }, h("legend", { text: _("Who will scan it?") }),
    verifiers.map((v, i) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "verifier", value: String(i), checked: i === 0 }),
      h("span", { class: "name", text: v.name }), h("span", { class: "aud", text: new URL(v.aud).host }))));
  const what = h("fieldset", { class: "choices" }, h("legend", { text: _("What to show") }),
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
  screen("show", _("Show a code"), choices, what, h("button", { class: "primary", id: "show-code", onclick: go, text: _("Show code") }), out);
}

async function code(name, aud, claims, nonce = undefined) {
  if ((await store.hasPin()) && !(await askPin({ title: N_("Enter your PIN to show the code"), lead: N_("A code is shown only after your PIN."), cancel: true }))) {
    return home();
  }
  const started = performance.now();
  const { text, iat, shown } = await wallet.presentTo(claims.map(parseClaimPath), { aud, nonce });
  const qrText = await encode(text);
  const canvas = qrCanvas(qrText, { maxPixels: Math.min(1000, Math.floor(Math.min(innerWidth, innerHeight) * devicePixelRatio)), label: _("Code for {name}", { name }) });
  const countdown = h("p", { class: "countdown", id: "countdown", "aria-live": "off" });
  const again = h("button", { id: "code-again", hidden: true, onclick: () => code(name, aud, claims, nonce), text: _("Show a new code") });
  screen("code", _("Code for {name}", { name }),
    h("div", { class: "qr-box", id: "code-qr", "data-qr": qrText }, canvas),
    countdown,
    h("div", { class: "discloses" }, h("p", { text: _("This code shows only:") }),
      h("ul", { id: "disclosed" }, shown.map((c) => h("li", { text: claimName(c) })))),
    h("p", { class: "meta", text: _("A new code each time: two scans cannot be linked.") }),
    h("div", { class: "actions" }, again, h("button", { class: "primary", id: "code-done", onclick: () => home(), text: _("Done") })));
  main.querySelector("#code-qr").dataset.renderMs = String(Math.round(performance.now() - started));
  const window = nonce === undefined ? wallet.ONE_WAY_SECONDS : 120;
  const tick = () => {
    const left = iat + window - Math.floor(Date.now() / 1000);
    if (left > 0) countdown.textContent = _("Valid for {seconds} s", { seconds: left });
    else {
      stopTimer();
      countdown.textContent = _("This code has expired.");
      canvas.classList.add("expired");
      again.hidden = false;
    }
  };
  tick();
  every(tick);
}

// --- answer a challenge -----------------------------------------------------------------------------------

async function answer(text = "") {
  const input = h("textarea", { id: "request-input", rows: "3", autocomplete: "off", spellcheck: "false" });
  input.value = text;
  const out = h("div", { id: "request-out", "aria-live": "polite" });
  const check = async () => {
    out.replaceChildren();
    if (isInvocation(input.value)) {
      // A city web service's OpenID4VP request: its code is loaded only now (src/vpscreen.js).
      try {
        const { askOnline } = await import("./vpscreen.js");
        await askOnline(input.value, out, { home });
      } catch (err) {
        out.replaceChildren(problem(err instanceof CitykeyError ? err : new CitykeyError("offline", String(err))));
      }
      return;
    }
    try {
      const bundle = await wallet.currentBundle();
      const request = await parseRequest(input.value, { now: Math.floor(Date.now() / 1000), verifiers: bundle ? bundle.verifiers : null });
      asked(request, out);
    } catch (err) {
      const first = err.errors ? err.errors[0] : err;
      out.replaceChildren(problem(first));
    }
  };
  const camera = h("div", { id: "scan-slot" });
  const scanning = () => scan(camera, (found) => { input.value = found; check(); }).catch((err) => out.replaceChildren(problem(err)));
  screen("answer", _("Answer a request"), h("p", { text: _("Paste the request code (it starts with CKQ1:) or a service's link (it starts with openid4vp://).") }),
    h("button", { id: "scan", onclick: scanning, text: _("Scan with the camera") }), camera,
    h("label", { for: "request-input", text: _("Request code") }), input,
    h("button", { class: "primary", id: "request-check", onclick: check, text: _("Check request") }), out);
  if (text) await check();
}

function asked(request, out) {
  const listed = request.signer !== null;
  // Shown only after the holder saw who asks: a listed verifier within its scope (parseRequest
  // refused anything beyond it), or an unknown asker under its warning, which pressing Share accepts.
  const share = () => {
    checkAnswerable(request, { allowUnsigned: true });
    return code(request.displayName, request.aud, request.claims, request.nonce);
  };
  fill(out,
    h("p", { class: "lead", id: "asker", text: listed ? _("{name} asks for:", { name: request.displayName }) : _("An unknown asker (it calls itself \"{name}\") asks for:", { name: request.name }) }),
    listed ? null : h("p", { class: "warning", text: _("The city does not vouch for this asker. Share only if you trust it.") }),
    h("ul", { id: "asked" }, request.claims.map((c) => h("li", { text: claimName(c) }))),
    h("div", { class: "actions" },
      h("button", { class: "primary", id: "share", onclick: () => Promise.resolve().then(share).catch((err) => out.append(problem(err.errors ? err.errors[0] : err))), text: _("Share") }),
      h("button", { id: "decline", onclick: () => out.replaceChildren(h("p", { text: _("Nothing was shared.") })), text: _("Decline") })));
}

// --- receipt and manage ----------------------------------------------------------------------------------------

async function receipt() {
  const all = await wallet.receipts();
  if (!all.length) {
    screen("receipt", _("Your revocation receipt"), h("p", { text: _("No receipt yet: it comes with your credentials.") }));
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
  screen("receipt", _("Your revocation receipt"), h("p", { text: _("Keep this receipt apart from your phone (print it or save the file). If your phone is lost, the city desk can cancel your credentials with it.") }),
    h("div", { class: "qr-box", id: "receipt-qr", "data-qr": last }, qrCanvas(last, { maxPixels: 640, label: _("Your revocation receipt") })),
    h("button", { class: "primary", id: "receipt-save", onclick: save, text: _("Save as file") }));
}

async function manage() {
  const all = await store.allCredentials();
  const rows = all.map((c) => h("li", {},
    h("strong", { text: typeName(c.vct) }), " — ",
    c.exp ? _("Valid until {date}", { date: formatDate(c.exp) }) : "", " — ", _("used {uses} times", { uses: c.uses })));
  const out = h("div", { "aria-live": "polite" });
  const wipe = async () => {
    if (!confirm(_("Delete every credential, key and receipt from this phone? This cannot be undone."))) return;
    await wallet.wipe();
    out.replaceChildren(h("p", { id: "wiped", text: _("The wallet is empty.") }));
    list.replaceChildren();
  };
  const list = h("ul", { class: "manage-list" }, rows);
  screen("manage", _("Manage"), list,
    h("button", { class: "danger", id: "wipe", onclick: wipe, text: _("Delete everything") }), out,
    await renewSection(manage), await pinSection(manage));
}

// --- start -------------------------------------------------------------------------------------------------------

const SCREENS = { home, add: () => add(), show, answer, receipt, manage };

function navigation() {
  nav.replaceChildren(
    ...[["home", N_("My wallet")], ["add", N_("Add from the desk")], ["show", N_("Show a code")], ["answer", N_("Answer a request")],
      ["receipt", N_("Receipt")], ["manage", N_("Manage")]]
      .map(([id, label]) => h("button", { "data-go": id, onclick: () => SCREENS[id](), text: _(label) })),
  );
  const select = h("select", { id: "lang", "aria-label": _("Language") },
    Object.entries(languages()).map(([code, name]) => h("option", { value: code, lang: code, text: name })));
  select.value = language();
  select.addEventListener("change", async () => {
    await store.setMeta("lang", select.value);
    await chooseLanguage(select.value);
    navigation();
    if (!redrawPin()) home();
  });
  document.getElementById("lang-slot").replaceChildren(select);
  document.getElementById("app-name").textContent = _("City wallet");
  document.title = _("City wallet");
}

/** The desk's offer or a service's same-device request in the address's fragment: handled, and removed from the address bar. */
async function fromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const offer = fragment.get("offer");
  if (offer) {
    history.replaceState(null, "", location.pathname + location.search); // the offer never lingers in the address bar
    await add(offer, fragment.get("root"));
    return true;
  }
  if (fragment.has("request_uri")) {
    const link = location.href; // a service's same-device link: this app's address, the request in the fragment
    history.replaceState(null, "", location.pathname + location.search);
    await answer(link);
    return true;
  }
  return false;
}

async function start() {
  await loadCatalogues();
  await chooseLanguage(await store.getMeta("lang"));
  navigation();
  if (await store.hasPin()) await askPin();
  if (!(await fromFragment())) await home();
  window.addEventListener("hashchange", () => {
    if (!nav.hidden) fromFragment(); // a link opened while the app is open (not while the PIN prompt is up)
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("./sw.js").then(() => navigator.serviceWorker.ready).then(() => {
      document.body.dataset.offlineReady = "true";
    }).catch(() => {});
  }
}

window.addEventListener("error", (e) => console.error(e.message));
start().catch((err) => main.replaceChildren(problem(err instanceof CitykeyError ? err : new CitykeyError("internal", String(err)))));
