// The online verifier's waiting page: poll for the decision, then show it (claims exist only on this page).
"use strict";
(function () {
  const body = document.body;
  const id = body.dataset.transaction;
  const key = body.dataset.resultKey;
  const lang = body.dataset.lang;
  const expires = Number(body.dataset.expires);
  const text = window.CITYKEY_TEXT;
  const base = window.location.pathname.replace(/\/?$/, "/");

  function show(decision) {
    document.getElementById("ask").hidden = true;
    const box = document.getElementById("result");
    box.className = decision.accepted ? "accepted" : "refused";
    document.getElementById("result-title").textContent = decision.title;
    const reasons = document.getElementById("result-reasons");
    reasons.replaceChildren(...decision.reasons.map((r) => Object.assign(document.createElement("li"), { textContent: r })));
    const claims = document.getElementById("result-claims");
    claims.replaceChildren();
    for (const claim of decision.claims) {
      claims.append(Object.assign(document.createElement("dt"), { textContent: claim.label }));
      claims.append(Object.assign(document.createElement("dd"), { textContent: claim.value }));
    }
    box.hidden = false;
    box.focus();
  }

  function say(words) {
    document.getElementById("waiting").textContent = words;
  }

  async function poll() {
    if (Date.now() / 1000 > expires + 5) { say(text.expired); return; }
    let answer;
    try {
      const response = await fetch(`${base}transactions/${encodeURIComponent(id)}?lang=${lang}`,
        { headers: { "X-Result-Key": key }, cache: "no-store" });
      if (response.status === 404) { say(text.gone); return; }
      answer = await response.json();
    } catch (_) {
      setTimeout(poll, 2000);
      return;
    }
    if (answer.status === "done") show(answer); else setTimeout(poll, 1000);
  }
  poll();
})();
