"""The city's keys: root, signing keys, receipt MAC key, rotation and the signed key list.

See docs/keys.md for the layout and the threat model.
"""

from keys.records import REASONS, STATES, KeyRecord, Reason, State
from keys.store import DEFAULT_KEY_LIST_VALIDITY, MIN_PASSPHRASE_BYTES, KeyStore

__all__ = [
    "DEFAULT_KEY_LIST_VALIDITY",
    "MIN_PASSPHRASE_BYTES",
    "REASONS",
    "STATES",
    "KeyRecord",
    "KeyStore",
    "Reason",
    "State",
]
