"""What a person reads for each error code: a resident, a librarian at the scanner, a clerk at the desk.

One entry per `code` of `wallet_spec.errors` (a test checks that every code
has one, in every language). The messages say what happened and what to do,
in plain words; they never carry a value. Translate them with
`citykey_io.i18n.error_message(code, lang)`; a browser page uses `errors.json`
of `citykey i18n export` (code → message id) with its language's catalogue.
"""

from __future__ import annotations

from citykey_io.i18n import N_

GENERIC_ERROR = N_("Something went wrong. Try again, or ask for help.")

_TAMPERED = N_("This credential has been tampered with. Do not accept it.")
_DAMAGED = N_("This credential is damaged. Ask the city to issue it again.")

ERROR_MESSAGES: dict[str, str] = {
    "citykey_error": GENERIC_ERROR,
    # input that cannot be read at all
    "malformed": N_("This could not be read. Scan the code again."),
    "too_large": N_("This is too large to be read. Ask for a new code."),
    "disclosure_malformed": _DAMAGED,
    "key_invalid": N_("A key in this request is damaged. Start again."),
    # asked for something that is not possible
    "usage": N_("This action is not possible here."),
    "challenge_missing": N_(
        "This scanner is not set up to check whom a code was made for. Set it up with its own request, then scan again."
    ),
    "claim_not_found": N_("This credential does not hold the information asked for."),
    "holder_key_not_held": N_("This credential belongs to another phone or wallet."),
    "fact_not_held": N_("This pass states something that is not true for this resident, so it is not issued."),
    "status_ref_unknown": N_("The city does not know this credential. Check the receipt."),
    "receipt_invalid": N_("This receipt is not valid. Check that it was copied completely."),
    "keystore_error": N_("The city's keys cannot be used right now. Call support."),
    "keystore_mismatch": N_("The city's keys and its database do not belong together. Call support."),
    "passphrase_invalid": N_("The passphrase is wrong."),
    # verification
    "verification_failed": N_("This credential could not be accepted."),
    "alg_not_allowed": N_("This credential is signed in a way that is not accepted."),
    "typ_invalid": N_("This is not a city credential."),
    "header_invalid": N_("This credential is in a form that is not accepted."),
    "signature_invalid": N_("This credential was not signed by the city. Do not accept it."),
    "unknown_key": N_(
        "This credential was signed with a key this device does not know. Update the device, then scan again."
    ),
    "sd_alg_unsupported": N_("This credential is signed in a way that is not accepted."),
    "sd_invalid": _DAMAGED,
    "digest_duplicate": _TAMPERED,
    "disclosure_unreferenced": N_("The code shows information that is not part of the credential. Do not accept it."),
    "disclosure_duplicate": N_("The code repeats information. Ask for a new code."),
    "disclosure_name_reserved": _TAMPERED,
    "disclosure_kind_mismatch": _TAMPERED,
    "claim_overwrite": _TAMPERED,
    "claim_invalid": N_("This credential is incomplete. Ask the city to issue it again."),
    "expired": N_("This credential has expired. Renew it in the wallet or at a city desk."),
    "not_yet_valid": N_("This credential is not valid yet. Check the date and time of this device."),
    "kb_missing": N_("This code does not prove it comes from the holder's wallet. Ask for a new code."),
    "kb_unexpected": N_("The credential came with something it must not carry. Try again."),
    "cnf_missing": N_("This credential is not tied to a wallet, so it cannot be accepted here."),
    "kb_signature_invalid": N_("This code was not made by the wallet that holds the credential. Do not accept it."),
    "kb_invalid": N_("This code is incomplete. Ask for a new one."),
    "sd_hash_mismatch": N_("This code has been altered. Ask for a new one."),
    "nonce_mismatch": N_("This code was made for another request. Ask for a new one."),
    "aud_mismatch": N_("This code was made for another service. Ask for a new one."),
    "kb_iat_invalid": N_("This code is too old, or the clock of a device is wrong. Ask for a new one."),
    "revoked": N_("This credential has been cancelled. The holder can get a new one at a city desk."),
    "suspended": N_("This credential is suspended for now. The holder can ask at a city desk."),
    "status_unknown": N_(
        "This device cannot check whether the credential is still valid. Update the device, then scan again."
    ),
    "key_revoked": N_("The city has withdrawn the key that signed this credential. The holder needs a new one."),
    "key_not_valid": N_("This credential was signed with a key that was not valid at the time. Do not accept it."),
    "bundle_invalid": N_("This device's list of city keys is not genuine. Update it from the city."),
    "bundle_stale": N_("This device's list of city keys is out of date. Update the device."),
    "replayed": N_("This code was already used — ask for a new one."),
    "request_expired": N_("This request has expired. Ask the service to show a new one."),
    "verifier_unknown": N_("The city does not list this service. Do not share your information with it."),
    "request_unsigned": N_("This service did not identify itself, so your wallet will not answer it."),
    "bundle_outdated": N_(
        "The list of city keys just downloaded is older than the one on this device. It was not used."
    ),
    "sync_failed": N_("This device cannot reach the city right now. It keeps working with the list of keys it has."),
    "replay_unavailable": N_("This device cannot check whether the code was already used. Try again, or call support."),
    "claim_not_met": N_(
        "This credential does not meet this service's condition, such as the age. It cannot be used here."
    ),
    "policy_invalid": N_("This device's service settings are wrong. Call support."),
    "declined": N_("The person declined: nothing was shared."),
    "request_out_of_scope": N_(
        "This service asks for more than the city allows it to. Your wallet will not answer. Do not share it."
    ),
    "bundle_key_not_valid": N_(
        "This device's list of city keys was signed with a key not allowed to sign it. "
        "Update it from the city."
    ),
    "bundle_not_yet_valid": N_(
        "This device's list of city keys is dated in the future. "
        "Check the device's clock, then update it."
    ),
    "already_renewed": N_(
        "This credential was already used to renew. "
        "Use the newest credentials, or visit a city desk."
    ),
    "rate_limited": N_("Too many attempts. Wait a moment, then try again."),
    "preapplication_damaged": N_(
        "This pre-application code is incomplete or was changed. Scan it again, or type the details."
    ),
    "preapplication_invalid": N_(
        "This pre-application breaks the desk's rules. Nothing was filled in: type the details from the documents."
    ),
    "slot_unavailable": N_("This time is no longer available. Choose another time."),
    "missing_claim": N_("The code does not show everything this service needs. Ask for a new code that shares it."),
    "decryption_failed": N_("The answer could not be opened: it was changed on the way or meant for another request."),
    "request_invalid": N_("This service's request does not follow the rules city wallets answer. Nothing was shared."),
    "transaction_unknown": N_("This request is no longer open. Ask the service to start again."),
    "verifier_unreachable": N_("The service does not answer. Check the connection, then try again."),
}
