"""An online service asks a wallet for a proof over OpenID4VP 1.0, decides offline, and keeps nothing.

`OnlineVerifier` holds what a city web service needs between showing a QR code
and reading the answer: its identity and key (the ones the city lists, as for a
scanner's signed challenges), the city's Verifier Attestation for it, the trust
bundle, the service policies, and a `TransactionStore`. A transaction:

1. `start(policy)`: a fresh nonce, state and one-transaction P-256 key; the
   Request Object (`wallet_spec.openid4vp`) signed now and kept with them until
   it expires; the page gets the link or QR text and a result key of its own.
2. `request_object(id)`: what the wallet fetches at `request_uri`.
3. `respond(id, response)`: the wallet's `direct_post.jwt` body. Decrypted with
   the transaction's key (then dropped), checked by `verifier.verify` with the
   same rules and bundle as the scanner (nonce, `aud` = the full client id,
   status, policy), turned into a `Decision`, and encrypted to the page's key,
   whose private half only the page holds (`result_key`). Or `decline(id, error, state)`:
   the wallet's `access_denied` when the holder says no, a `declined` decision.
4. `result(id, key)`: the page's poll; the decision once, then the transaction is gone.

No disclosed value is logged or stored in the clear: the store holds the
transaction's secrets until it expires and the decision only encrypted.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from verifier.decision import Decision, shown
from verifier.policies import ServicePolicy
from verifier.transactions import TransactionStore
from verifier.verify import verify
from wallet_spec import jwe, openid4vp
from wallet_spec.bundle import TrustBundle
from wallet_spec.encoding import b64url_decode, b64url_encode, json_dumps, json_loads
from wallet_spec.errors import (
    BundleStale,
    CitykeyError,
    Declined,
    RequestExpired,
    TransactionUnknown,
    UsageError,
    VerificationFailed,
)
from wallet_spec.jwk import PrivateKey, generate_private_key, private_jwk, private_key_from_jwk
from wallet_spec.profile import ALL_VCTS
from wallet_spec.request import LEEWAY

log = logging.getLogger("citykey.verifier")

RESULT_TTL = 120
"""How long a decision waits, sealed, for the page to collect it."""


@dataclass(frozen=True, slots=True)
class Started:
    """What the waiting page gets: where the wallet goes, and the key to read the decision with."""

    id: str
    invocation: str
    """`openid4vp://?client_id=…&request_uri=…`, for the QR code (another device)."""
    result_key: str
    expires: int


@dataclass(frozen=True, slots=True)
class Pending:
    expires: int


class OnlineVerifier:
    """One city web service's OpenID4VP verifier; thread-safe as its store is."""

    def __init__(
        self,
        *,
        aud: str,
        key: PrivateKey,
        attestation: Callable[[], str],
        bundle: Callable[[int], TrustBundle | None],
        policies: Mapping[str, ServicePolicy],
        store: TransactionStore,
        public_url: str,
        ttl: int = openid4vp.DEFAULT_TTL,
    ) -> None:
        self.client_id = openid4vp.client_id(aud)
        self.key = key
        self.attestation = attestation
        self.bundle = bundle
        self.policies = dict(policies)
        self.store = store
        self.public_url = public_url.rstrip("/")
        self.ttl = ttl

    def policy(self, name: str) -> ServicePolicy:
        if name not in self.policies:
            raise UsageError(f"no policy named {name}; there are {', '.join(sorted(self.policies))}")
        return self.policies[name]

    @staticmethod
    def query(policy: ServicePolicy) -> openid4vp.DcqlQuery:
        """What a transaction for `policy` asks: one city credential of any type holding its claims."""
        return openid4vp.dcql_query(policy.paths, ALL_VCTS)

    def request_uri(self, transaction_id: str) -> str:
        return f"{self.public_url}/openid4vp/request/{transaction_id}"

    def response_uri(self, transaction_id: str) -> str:
        return f"{self.public_url}/openid4vp/response/{transaction_id}"

    def start(self, policy_name: str, *, now: int) -> Started:
        """A new transaction for `policy_name`: its signed request kept until `now + ttl`."""
        policy = self.policy(policy_name)
        transaction_id = secrets.token_urlsafe(16)
        decryption, page = generate_private_key(), generate_private_key()
        request = openid4vp.AuthorizationRequest(
            client_id=self.client_id,
            response_uri=self.response_uri(transaction_id),
            nonce=openid4vp.new_nonce(),
            state=openid4vp.new_nonce(),
            dcql=self.query(policy),
            encryption_jwk=jwe.encryption_jwk(decryption, kid=transaction_id[:8]),
            iat=now,
            exp=now + self.ttl,
        )
        record = {
            "policy": policy.name,
            "nonce": request.nonce,
            "state": request.state,
            "kid": request.encryption_jwk["kid"],
            "key": private_jwk(decryption),
            "request": openid4vp.sign_authorization_request(request, self.key, self.attestation()),
            "page": jwe.encryption_jwk(page, kid="page"),
            "exp": request.exp,
        }
        self.store.put(f"tx:{transaction_id}", json_dumps(record).encode(), ttl=self.ttl)
        self.store.put(f"open:{transaction_id}", b"", ttl=self.ttl + RESULT_TTL)
        invocation = openid4vp.invocation_url(self.client_id, self.request_uri(transaction_id))
        result_key = b64url_encode(json_dumps(private_jwk(page)).encode())
        return Started(transaction_id, invocation, result_key, request.exp)

    def _record(self, transaction_id: str, *, take: bool) -> dict[str, Any]:
        name = f"tx:{transaction_id}"
        raw = self.store.take(name) if take else self.store.get(name)
        if raw is None:
            raise TransactionUnknown("this request is not open here: it expired, was answered, or never existed")
        record: dict[str, Any] = json_loads(raw)
        return record

    def request_object(self, transaction_id: str) -> str:
        """The signed Request Object the wallet fetches."""
        return str(self._record(transaction_id, take=False)["request"])

    def respond(self, transaction_id: str, response: str, *, now: int) -> Decision:
        """Read a wallet's encrypted answer; one answer per transaction, whatever it says.

        An answer that does not decrypt with the transaction's key is refused (`decryption_failed`,
        raised) and leaves the transaction open: stray or damaged posts do not end it. The first
        answer that decrypts takes the transaction, accepted or refused (someone who fetched the
        request could encrypt a wrong answer; the page then shows the refusal and starts again).
        """
        record = self._record(transaction_id, take=False)
        payload = jwe.decrypt(response, private_key_from_jwk(record["key"]), kid=record["kid"])
        record = self._record(transaction_id, take=True)  # of two answers, one gets it
        return self._conclude(transaction_id, record, self._decide(record, payload, now=now))

    def decline(self, transaction_id: str, error: str, state: str) -> Decision:
        """Read a wallet's error response; `access_denied` (the holder said no) is shown at once, not at expiry.

        Another error, or another transaction's `state`, is refused (`request_invalid`, raised) and
        the transaction stays open. Like an answer, a refusal takes the transaction; nothing of it is kept.
        """
        try:
            openid4vp.read_refusal(error, state, state=self._record(transaction_id, take=False)["state"])
        except Declined as exc:
            record = self._record(transaction_id, take=True)
            return self._conclude(transaction_id, record, Decision(False, (exc.code,)))

    def _conclude(self, transaction_id: str, record: Mapping[str, Any], decision: Decision) -> Decision:
        """Seal the decision to the page's key, for its next poll."""
        log.info("openid4vp decision %s %s", decision.outcome, ",".join(decision.codes))
        sealed = jwe.encrypt(decision.to_json(), record["page"])
        self.store.put(f"result:{transaction_id}", sealed.encode("ascii"), ttl=RESULT_TTL)
        return decision

    def _decide(self, record: Mapping[str, Any], payload: Any, *, now: int) -> Decision:
        policy = self.policy(record["policy"])
        if now >= record["exp"] + LEEWAY:
            return Decision(False, (RequestExpired.code,))
        bundle = self.bundle(now)
        if bundle is None:
            return Decision(False, (BundleStale.code,))
        try:
            query = self.query(policy)
            answers = openid4vp.read_response(payload, query, state=record["state"])
            rules = policy.online(aud=self.client_id, nonce=record["nonce"])
            accepted = verify(answers[query.credentials[0].id], bundle, rules, now=now)
        except VerificationFailed as exc:
            return Decision(False, tuple(dict.fromkeys(exc.codes)))
        except CitykeyError as exc:
            return Decision(False, (exc.code,))
        unmet = policy.unmet(accepted.claims)
        if unmet:
            return Decision(False, tuple(dict.fromkeys(e.code for e in unmet)))
        return Decision(True, (), shown(accepted, policy.claims), False,
                        tuple(w.split(":", 1)[0] for w in accepted.warnings))

    def result(self, transaction_id: str, result_key: str) -> Decision | Pending:
        """The decision for the page holding `result_key`, once; `Pending` until the wallet answers."""
        if self.store.get(f"open:{transaction_id}") is None:
            raise TransactionUnknown("this request is not open here: it expired or its result was read")
        try:
            page = private_key_from_jwk(json_loads(b64url_decode(result_key, what="result key"), what="result key"))
        except CitykeyError:
            raise TransactionUnknown("this is not the key of this request's page") from None
        sealed = self.store.get(f"result:{transaction_id}")
        if sealed is None:
            tx = self.store.get(f"tx:{transaction_id}")
            return Pending(int(json_loads(tx)["exp"]) if tx else 0)
        try:
            found = jwe.decrypt(sealed.decode("ascii"), page, kid="page")
        except CitykeyError:
            raise TransactionUnknown("this is not the key of this request's page") from None
        self.store.take(f"result:{transaction_id}")
        self.store.take(f"open:{transaction_id}")
        return Decision.from_json(found)
