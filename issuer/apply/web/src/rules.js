// The desk's rules for each field (wallet_spec/attributes.py), checked in the browser before a code is
// made. The rules themselves are data the contract generated (`rules` of
// wallet_spec/vectors/preapplication.json); the desk checks the same fields again when it scans the code.

export function clean(value) {
  return typeof value === "string" ? value.normalize("NFC").trim() : "";
}

const codePoints = (text) => [...text].length;

export function makeRules(rules) {
  const refused = new RegExp(`[${rules.refused_categories.map((c) => `\\p{${c}}`).join("")}]`, "u");
  const datePattern = new RegExp(`^${rules.date_pattern}$`);
  const earliest = rules.earliest_birthdate;

  function birthdateOf(text) {
    if (!datePattern.test(text)) return null;
    const [y, m, d] = text.split("-").map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    if (y < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
    return text; // YYYY-MM-DD compares as text
  }

  // The fault of each field ("required", "bad_date", ...), exactly as check_fields finds them.
  function checkFields(values, today) {
    const problems = {};
    for (const name of rules.fields) {
      const value = values[name] ?? "";
      if (codePoints(value) > rules.max_length[name]) problems[name] = "too_long";
      else if (refused.test(value)) problems[name] = "bad_characters";
      else if (rules.required.includes(name) && !value) problems[name] = "required";
    }
    if (!("birthdate" in problems)) {
      const birthdate = birthdateOf(values.birthdate ?? "");
      if (birthdate === null) problems.birthdate = "bad_date";
      else if (birthdate > today) problems.birthdate = "date_in_future";
      else if (birthdate < earliest) problems.birthdate = "date_too_old";
    }
    return problems;
  }

  return { fields: rules.fields, required: rules.required, maxLength: rules.max_length, earliest, checkFields };
}
