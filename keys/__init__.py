"""The city's keys: root, signing keys, receipt MAC key, rotation and the signed key list.

See docs/keys.md for the layout and the threat model.
"""

from keys.records import REASONS, STATES, KeyRecord, Reason, State
from keys.store import DEFAULT_KEY_LIST_VALIDITY, KeyStore

__all__ = [
    "DEFAULT_KEY_LIST_VALIDITY",
    "REASONS",
    "STATES",
    "KeyRecord",
    "KeyStore",
    "Reason",
    "State",
]
