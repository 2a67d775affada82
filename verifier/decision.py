"""What a verifier tells the person at the counter: yes or no, why, and the claims to look at."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifier.verify import Accepted
from wallet_spec.errors import Declined

HIDDEN = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "sub"})
"""Claims of the credential's machinery, never shown to staff."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the screen shows. `claims` are the disclosed values, in memory only."""

    accepted: bool
    codes: tuple[str, ...] = ()
    """Why it was refused (error codes of `wallet_spec.errors`), for the words on screen."""
    claims: tuple[tuple[str, Any], ...] = ()
    paper: bool = False
    """A printed card without key binding: staff compare a photo ID."""
    warnings: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        if self.accepted:
            return "paper" if self.paper else "accepted"
        return "declined" if self.codes == (Declined.code,) else "refused"

    def to_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "codes": list(self.codes), "claims": [list(c) for c in self.claims],
                "paper": self.paper, "warnings": list(self.warnings)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Decision:
        """A decision `to_json` wrote (this verifier's own record, not outside input)."""
        return cls(bool(obj["accepted"]), tuple(obj["codes"]), tuple((n, v) for n, v in obj["claims"]),
                   bool(obj["paper"]), tuple(obj["warnings"]))


def shown(accepted: Accepted, asked: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """What the policy asked for (some claims are always visible, e.g. `resident_of`), then what was disclosed."""
    top = [name.split(".")[0] for name in asked]
    names = list(dict.fromkeys([*top, *(str(path[0]) for path in accepted.disclosed if path)]))
    return tuple((name, accepted.claims[name]) for name in names if name not in HIDDEN and name in accepted.claims)
