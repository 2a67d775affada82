"""Services' policies in a TOML file: what a library desk, a bus or a clinic asks, and how it asks.

The defaults ship with the package (`verifier/policies.toml`, read with
`load_policies()`); a service may give its own file in the same format.
Every mistake in a file is a `PolicyInvalid` naming the policy and the key.

A `ServicePolicy` turns into the `verifier.Policy` that `verifier.verify`
checks, for one of three kinds of presentation:

* key-bound, challenge mode: bound to this verifier's `aud` and the nonce it showed;
* key-bound, one-way mode: bound to `aud`, each code accepted once (replay cache);
* a paper card (no key binding), only when the policy says `paper = true`.

Which kind a presentation is follows from whether it carries a KB-JWT; a
key-bound one is never checked under the paper rules.
"""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from verifier.policy import ONE_WAY_KB_MAX_AGE, Policy
from wallet_spec.errors import ClaimNotMet, PolicyInvalid, UsageError
from wallet_spec.present import parse_claim_path
from wallet_spec.sdjwt import ClaimPath, has_claim

Mode = Literal["challenge", "one-way"]
MODES: tuple[Mode, ...] = ("challenge", "one-way")
LANGUAGES = ("en", "es")
HOUR, DAY = 3600, 86_400
CHALLENGE_KB_MAX_AGE = 300
MAX_FILE_BYTES = 1 << 20
_KEYS = {"title", "mode", "paper", "claims", "expect", "warn_bundle_age_hours", "max_bundle_age_days", "language"}


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    """One service's table of the policy file: what it asks for, how (challenge or one-way), and in which language."""

    name: str
    title: Mapping[str, str]
    """What the screen calls the service, per language."""
    mode: Mode
    paper: bool
    claims: tuple[str, ...]
    """Claim paths that must be disclosed (including every claim in `expect`)."""
    expect: Mapping[str, bool | str] = field(default_factory=dict)
    warn_bundle_age: int = 36 * HOUR
    max_bundle_age: int = 7 * DAY
    language: str = "en"

    @property
    def paths(self) -> tuple[ClaimPath, ...]:
        return tuple(parse_claim_path(c) for c in self.claims)

    def key_bound(self, *, aud: str, nonce: str | None) -> Policy:
        """The rules for a presentation with a KB-JWT: this verifier's aud, and its nonce in challenge mode."""
        if self.mode == "challenge" and nonce is None:
            raise UsageError("a challenge-mode policy needs the nonce this verifier showed")
        one_way = self.mode == "one-way"
        return Policy(
            required=self.paths, nonce=None if one_way else nonce, aud=aud, require_key_binding=True,
            kb_max_age=ONE_WAY_KB_MAX_AGE if one_way else CHALLENGE_KB_MAX_AGE,
            max_bundle_age=self.max_bundle_age, one_way=one_way,
        )

    def online(self, *, aud: str, nonce: str) -> Policy:
        """The rules for an OpenID4VP answer: always bound to the transaction's nonce, whatever the kiosk mode."""
        return Policy(required=self.paths, nonce=nonce, aud=aud, require_key_binding=True,
                      kb_max_age=CHALLENGE_KB_MAX_AGE, max_bundle_age=self.max_bundle_age)

    def paper_card(self, *, aud: str) -> Policy:
        """The rules for a printed card (no KB-JWT); only for a policy with `paper = true`.

        Every policy names this verifier's `aud` and a challenge (verifier.policy). A card carries no
        KB-JWT, so the nonce here is one no phone has seen: a phone's code checked under these rules
        could only fail (`nonce_mismatch`), never be accepted without its challenge.
        """
        if not self.paper:
            raise UsageError(f"the policy {self.name} does not accept paper cards")
        return Policy(required=self.paths, aud=aud, nonce=secrets.token_urlsafe(16), require_key_binding=False,
                      max_bundle_age=self.max_bundle_age)

    def unmet(self, claims: Mapping[str, Any]) -> list[ClaimNotMet]:
        """The claims whose disclosed value is not the one `expect` asks for (e.g. age_over_65 false)."""
        found = []
        for claim, wanted in self.expect.items():
            value: Any = claims
            for step in parse_claim_path(claim):
                value = value.get(step) if isinstance(value, Mapping) and isinstance(step, str) else None
            if value != wanted or type(value) is not type(wanted):
                found.append(ClaimNotMet(f"{claim} is not {str(wanted).lower()}"))
        return found

    def missing(self, claims: Mapping[str, Any]) -> list[ClaimPath]:
        return [p for p in self.paths if not has_claim(claims, p)]


def _fail(name: str, message: str) -> PolicyInvalid:
    return PolicyInvalid(f"policy {name}: {message}")


def _number(name: str, table: Mapping[str, Any], key: str, default: int, *, low: int, high: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _fail(name, f"{key} must be a whole number from {low} to {high}")
    return value


def _policy(name: str, table: Any) -> ServicePolicy:
    if not isinstance(table, dict):
        raise _fail(name, "must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise _fail(name, f"unknown setting {', '.join(unknown)}")
    title = table.get("title")
    if isinstance(title, str):
        title = dict.fromkeys(LANGUAGES, title)
    if not isinstance(title, dict) or not all(isinstance(title.get(lang), str) and title[lang] for lang in LANGUAGES):
        raise _fail(name, f"title must be a text, or a table with {' and '.join(LANGUAGES)}")
    mode = table.get("mode")
    if mode not in MODES:
        raise _fail(name, f"mode must be one of {', '.join(MODES)}")
    paper = table.get("paper", False)
    if not isinstance(paper, bool):
        raise _fail(name, "paper must be true or false")
    claims = table.get("claims", [])
    expect = table.get("expect", {})
    if not isinstance(claims, list) or not all(isinstance(c, str) for c in claims):
        raise _fail(name, "claims must be a list of claim names")
    if not isinstance(expect, dict) or not all(isinstance(v, bool | str) for v in expect.values()):
        raise _fail(name, "expect must be a table of claim = true, false or a text")
    wanted = list(dict.fromkeys([*claims, *expect]))
    if not wanted:
        raise _fail(name, "asks for nothing: give claims or expect")
    for claim in wanted:
        try:
            parse_claim_path(claim)
        except UsageError as exc:
            raise _fail(name, exc.message) from None
    language = table.get("language", "en")
    if language not in LANGUAGES:
        raise _fail(name, f"language must be one of {', '.join(LANGUAGES)}")
    max_days = _number(name, table, "max_bundle_age_days", 7, low=1, high=30)
    warn_hours = _number(name, table, "warn_bundle_age_hours", 36, low=1, high=max_days * 24)
    return ServicePolicy(
        name, {lang: title[lang] for lang in LANGUAGES}, mode, paper, tuple(wanted), dict(expect),
        warn_hours * HOUR, max_days * DAY, language,
    )


def parse_policies(text: str, *, what: str = "policy file") -> dict[str, ServicePolicy]:
    """Every policy in a TOML text, by name; PolicyInvalid for anything wrong."""
    if len(text) > MAX_FILE_BYTES:
        raise PolicyInvalid(f"{what} is larger than {MAX_FILE_BYTES} bytes")
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyInvalid(f"{what} is not valid TOML: {exc}") from None
    if not tables:
        raise PolicyInvalid(f"{what} holds no policy")
    return {name: _policy(name, table) for name, table in tables.items()}


def load_policies(path: Path | None = None) -> dict[str, ServicePolicy]:
    """The policies in `path`, or the ones shipped with citykey."""
    if path is None:
        return parse_policies(resources.files("verifier").joinpath("policies.toml").read_text("utf-8"),
                              what="policies.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyInvalid(f"cannot read the policy file {path.name}: {exc}") from None
    return parse_policies(text, what=path.name)


def policy_named(name: str, path: Path | None = None) -> ServicePolicy:
    policies = load_policies(path)
    if name not in policies:
        raise PolicyInvalid(f"no policy named {name}; there are {', '.join(sorted(policies))}")
    return policies[name]
