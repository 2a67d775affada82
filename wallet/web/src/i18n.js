// UI strings by message id, English and Spanish; the phone's language first, then the resident's switch.
import en from "./i18n/en.json";
import es from "./i18n/es.json";

export const CATALOGUES = { en, es };
let lang = "en";

export function chooseLanguage(saved, preferred = navigator.languages || [navigator.language]) {
  if (saved && CATALOGUES[saved]) lang = saved;
  else lang = (preferred || []).map((l) => String(l).slice(0, 2).toLowerCase()).find((l) => CATALOGUES[l]) || "en";
  document.documentElement.lang = lang;
  return lang;
}

export const language = () => lang;

export function t(id, params = {}) {
  const text = CATALOGUES[lang][id] ?? CATALOGUES.en[id] ?? id;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

export function formatDate(seconds) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(new Date(seconds * 1000));
}
