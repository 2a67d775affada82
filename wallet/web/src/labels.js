// What the wallet calls each claim and credential type, in the resident's language.
import { N_, _ } from "./i18n.js";

const CLAIMS = {
  given_name: N_("Given name"),
  family_name: N_("Family name"),
  birthdate: N_("Date of birth"),
  address: N_("Address"),
  "address.street_address": N_("Street"),
  "address.locality": N_("Town or city"),
  "address.postal_code": N_("Postal code"),
  resident_of: N_("Resident of"),
  age_over_13: N_("13 or older"),
  age_over_16: N_("16 or older"),
  age_over_18: N_("18 or older"),
  age_over_21: N_("21 or older"),
  age_over_55: N_("55 or older"),
  age_over_62: N_("62 or older"),
  age_over_65: N_("65 or older"),
};

const TYPES = {
  "urn:citykey:id:1": N_("City ID"),
  "urn:citykey:identity:1": N_("Identity"),
  "urn:citykey:residency:1": N_("Residency pass"),
  // TRANSLATORS: passes that each prove one fact (resident, or resident and 65 or older) with a small, quick code
  "urn:citykey:resident:1": N_("Quick pass"),
};

/** A claim path's name (`address.locality` → "Town or city"); a claim the city added later keeps its own name. */
export const claimName = (path) => (Object.hasOwn(CLAIMS, path) ? _(CLAIMS[path]) : path);
export const typeName = (vct) => (Object.hasOwn(TYPES, vct) ? _(TYPES[vct]) : vct);
