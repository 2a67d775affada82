// The /apply/ page: the resident types what the desk will ask, checked by the desk's own rules, and
// gets a `CKA1:` QR code to show or print. Everything happens here: the form is never submitted
// (its inputs have no names, and the page's CSP says form-action 'none'), nothing is stored, and
// the only requests are the page's own files and, if the resident books a slot, the slot alone.
import { qrCanvas } from "../../../../wallet/web/src/qrdraw.js";
import messages from "../build/messages.json";
import rulesData from "../build/rules.json";
import { encode } from "./preapplication.js";
import { clean, makeRules } from "./rules.js";

const rules = makeRules(rulesData);
const LANGUAGES = { en: "English", es: "Español" };
let lang = "en";
const state = { values: Object.fromEntries(rules.fields.map((f) => [f, ""])), problems: {}, booking: null, code: null };

function _(id, params = {}) {
  const text = messages[lang]?.[id] || id;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

const PROBLEMS = {
  required: () => _("This field is required."),
  bad_date: () => _("Enter a valid date as year-month-day (YYYY-MM-DD)."),
  date_in_future: () => _("The date of birth cannot be in the future."),
  date_too_old: () => _("The date of birth cannot be before 1900."),
  too_long: (name) => _("This field is too long (at most {max} characters).", { max: rules.maxLength[name] }),
  bad_characters: () => _("This field contains characters that are not allowed."),
};

const LABELS = {
  given_name: () => _("Given name(s)"),
  family_name: () => _("Family name(s)"),
  birthdate: () => _("Date of birth"),
  street_address: () => _("Street and number"),
  locality: () => _("Town or city"),
  postal_code: () => _("Postal code"),
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat(Infinity)) if (child) node.append(child);
  return node;
}

const todayLocal = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

function timeRange(start, end) {
  const day = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long" }).format(start * 1000);
  const hour = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
  return `${day}, ${hour.format(start * 1000)}–${hour.format(end * 1000)}`;
}

function chooseLanguage() {
  const preferred = navigator.languages || [navigator.language];
  lang = preferred.map((l) => String(l).slice(0, 2).toLowerCase()).find((l) => messages[l]) || "en";
}

function header() {
  return el("header", { class: "bar" },
    el("p", { text: _("City ID") }),
    el("nav", { class: "lang", "aria-label": _("Language") },
      Object.entries(LANGUAGES).filter(([code]) => messages[code] && code !== lang).map(([code, name]) =>
        el("button", { type: "button", class: "secondary", lang: code, id: `lang-${code}`,
          onclick: () => { readForm(); lang = code; render(); } }, name))));
}

function field(name, { type = "text", hint = null } = {}) {
  const problem = state.problems[name];
  const required = rules.required.includes(name);
  const described = [hint && `${name}-hint`, problem && `${name}-error`].filter(Boolean).join(" ") || null;
  return el("div", { class: problem ? "field invalid" : "field" },
    el("label", { for: name }, LABELS[name](), required ? el("span", { class: "req", "aria-hidden": "true", text: " *" }) : null),
    hint ? el("p", { class: "hint", id: `${name}-hint`, text: hint }) : null,
    el("input", {
      id: name, type, value: state.values[name], maxlength: rules.maxLength[name], autocomplete: "off",
      spellcheck: "false", required, "aria-required": required ? "true" : null, "aria-invalid": problem ? "true" : null,
      "aria-describedby": described, min: type === "date" ? rules.earliest : null, max: type === "date" ? todayLocal() : null,
    }),
    problem ? el("p", { class: "field-error", id: `${name}-error`, text: PROBLEMS[problem](name) }) : null);
}

function readForm() {
  for (const name of rules.fields) {
    const input = document.getElementById(name);
    if (input) state.values[name] = input.value;
  }
}

// A panel of plain points under a heading: what the city sees, what to bring.
function listPanel(id, title, points) {
  return el("section", { class: "panel", "aria-labelledby": id },
    el("h2", { id, text: title }),
    el("ul", {}, ...points.map((point) => el("li", { text: point }))));
}

function privacyPanel() {
  return listPanel("privacy-title", _("What the city sees"), [
    _("Nothing you type here is sent to the city or anyone else. This page makes your code on this device."),
    _("The clerk sees your details only when you show the code at the desk, and checks them against your documents."),
    _("The city keeps no copy of your application. Closing this page erases what you typed, unless you print or save the code."),
    _("If you book a time, the city learns only that a place is taken at that time, not who took it."),
  ]);
}

function documentsPanel() {
  return listPanel("documents-title", _("Bring to the desk"), [
    _("This code, on your phone or printed"),
    _("A document with your photo, name and date of birth (passport, consular ID, driver's licence)"),
    _("A document with your address in the city (a lease, a utility bill, a bank statement)"),
  ]);
}

function bookingSection() {
  const box = el("section", { id: "booking", "aria-labelledby": "booking-title" },
    el("h2", { id: "booking-title", text: _("Book a time at the desk (optional)") }));
  if (state.booking) {
    box.append(el("p", { class: "status", id: "booking-status", role: "status",
      text: _("Booked: {time}", { time: timeRange(state.booking.slot, state.booking.end) }) }));
    return box;
  }
  box.append(el("p", { text: _("Booking sends only the time you choose. Your details stay on this device.") }));
  const out = el("p", { id: "booking-out", role: "status" });
  const area = el("div", { id: "slot-area" });
  box.append(el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", id: "show-slots", onclick: () => showSlots(area, out) },
    _("Show free times"))), area, out);
  return box;
}

async function showSlots(area, out) {
  readForm();
  out.textContent = "";
  let found;
  try {
    const response = await fetch("../appointments/slots", { cache: "no-store", credentials: "omit" });
    if (!response.ok) throw new Error(String(response.status));
    found = (await response.json()).slots.filter((s) => s.left > 0);
  } catch {
    out.textContent = _("Booking needs a connection. You can still make your code and come without a booking.");
    return;
  }
  area.replaceChildren();
  if (!found.length) {
    out.textContent = _("No free times in the next days. You can come without a booking.");
    return;
  }
  const select = el("select", { id: "slot" }, found.map((s) => el("option", { value: String(s.start), text: timeRange(s.start, s.end) })));
  area.append(el("div", { class: "field" }, el("label", { for: "slot", text: _("Time") }), select),
    el("div", { class: "actions" }, el("button", { type: "button", id: "book", onclick: () => book(Number(select.value), out) }, _("Book this time"))));
}

async function book(slot, out) {
  readForm();
  try {
    const response = await fetch("../appointments", {
      method: "POST", cache: "no-store", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ slot }),
    });
    if (!response.ok) throw new Error(String(response.status));
    const booked = await response.json();
    const raw = atob(booked.token.replace(/-/g, "+").replace(/_/g, "/"));
    state.booking = { slot: booked.slot, end: booked.end, token: Uint8Array.from(raw, (c) => c.charCodeAt(0)) };
    render();
    document.getElementById("booking-status")?.focus();
  } catch {
    out.textContent = _("This time could not be booked. Choose another time, or come without a booking.");
  }
}

function formView() {
  const errors = Object.keys(state.problems).length;
  const form = el("form", { id: "apply-form", novalidate: true, autocomplete: "off", onsubmit: (e) => { e.preventDefault(); makeCode(); } },
    el("div", { class: "row" }, field("given_name"), field("family_name")),
    field("birthdate", { type: "date", hint: _("Year-month-day, for example 1961-04-23.") }),
    el("fieldset", {},
      el("legend", { text: _("Address (optional)") }),
      field("street_address"),
      el("div", { class: "row" }, field("locality"), field("postal_code"))),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "make-code" }, _("Make my code"))));
  return el("div", { id: "form-view" },
    el("h1", { id: "title", text: _("Apply for your city ID from home") }),
    el("p", { text: _("Fill in what the desk will ask. You get a QR code: show it at the desk and the clerk reads it in one scan instead of typing.") }),
    privacyPanel(),
    errors ? el("div", { class: "error", role: "alert", id: "form-errors" }, el("p", { text: _("Please correct the fields marked below.") })) : null,
    form,
    bookingSection(),
    documentsPanel());
}

function resultView() {
  const canvas = qrCanvas(state.code, { maxPixels: 720, level: "M", label: _("Your pre-application QR code") });
  const shown = rules.fields.filter((f) => state.values[f]);
  return el("section", { id: "result", "aria-labelledby": "result-title" },
    el("h1", { id: "result-title", tabindex: "-1", text: _("Your pre-application code") }),
    el("p", { text: _("Show this code at the desk, or print this page. It holds only what you typed; nothing was sent.") }),
    canvas,
    el("dl", { id: "summary" }, shown.map((f) => [el("dt", { text: LABELS[f]() }), el("dd", { text: state.values[f] })])),
    state.booking ? el("p", { class: "status", text: _("Booked: {time}", { time: timeRange(state.booking.slot, state.booking.end) }) }) : null,
    el("p", { class: "code-text", id: "code-text", text: state.code }),
    el("div", { class: "actions" },
      el("button", { type: "button", id: "print", onclick: () => window.print() }, _("Print")),
      el("a", { class: "button secondary", id: "save", download: "city-id-preapplication.png", href: canvas.toDataURL("image/png") }, _("Save the code as an image")),
      el("button", { type: "button", class: "secondary", id: "edit", onclick: () => { state.code = null; render(); } }, _("Change my answers")),
      el("button", { type: "button", class: "secondary", id: "clear", onclick: clearAll }, _("Erase everything"))),
    documentsPanel());
}

function clearAll() {
  for (const f of rules.fields) state.values[f] = "";
  state.problems = {};
  state.booking = null;
  state.code = null;
  render();
}

async function makeCode() {
  readForm();
  const values = Object.fromEntries(rules.fields.map((f) => [f, clean(state.values[f])]));
  state.problems = rules.checkFields(values, todayLocal());
  const first = rules.fields.find((f) => f in state.problems);
  if (first) {
    render();
    document.getElementById(first)?.focus();
    return;
  }
  state.values = values;
  state.code = await encode({ values, token: state.booking?.token ?? null });
  render();
  document.getElementById("result-title")?.focus();
}

function render() {
  document.documentElement.lang = lang;
  document.title = state.code ? _("Your pre-application code") : _("Apply for your city ID from home");
  const main = document.getElementById("app");
  main.replaceChildren(header(), state.code ? resultView() : formView());
}

chooseLanguage();
render();
if ("serviceWorker" in navigator) navigator.serviceWorker.register("./sw.js").catch(() => {});
