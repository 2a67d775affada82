// The wallet's messages come from the city's one gettext catalogue (citykey_io/locale/*/citykey.po,
// docs/translating.md): message ids are the English text, marked `_("…")` where shown and `N_("…")`
// where written to be shown elsewhere, so `make i18n` extracts them. The build exports each language
// as i18n/<lang>.json ({msgid: translation}), i18n/errors.json (error code → msgid) and
// i18n/languages.json ({code: name in itself}); a city adds a language with one .po file.
let lang = "en";
let messages = {};
let errors = {};
let available = { en: "English" };

const load = async (name) => {
  const response = await fetch(new URL(`./i18n/${name}.json`, import.meta.url), { credentials: "omit" });
  if (!response.ok) throw new Error(`the catalogue ${name} is missing`);
  return response.json();
};

/** Read the list of languages and the error table (once, at start). */
export async function loadCatalogues() {
  [available, errors] = await Promise.all([load("languages"), load("errors")]);
}

/** The resident's saved choice, else the phone's first language the city has, else English. */
export async function chooseLanguage(saved, preferred = navigator.languages || [navigator.language]) {
  if (saved && available[saved]) lang = saved;
  else lang = (preferred || []).map((l) => String(l).slice(0, 2).toLowerCase()).find((l) => available[l]) || "en";
  messages = await load(lang);
  document.documentElement.lang = lang;
  return lang;
}

export const language = () => lang;
export const languages = () => ({ ...available });

/** Mark a message where it is written; it is translated with `_` where it is shown. */
export const N_ = (msgid) => msgid;

/** A message in the resident's language, `{name}` placeholders filled; the English text if not translated. */
export function _(msgid, params = {}) {
  return (messages[msgid] || msgid).replace(/\{(\w+)\}/g, (_m, name) => String(params[name] ?? ""));
}

/** The plain-language message of an error code (citykey_io/error_messages.py), or null for a code it lacks. */
export function errorMessage(code) {
  return Object.hasOwn(errors, code) ? _(errors[code]) : null;
}

export function formatDate(seconds) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(new Date(seconds * 1000));
}
