"""Offline verification for libraries, transit and clinics. Imports wallet_spec only.

`verify(text, bundle, policy, now=...)` is the whole interface: a presentation,
the trust bundle synced from the city, and the service's policy; one-way
scanners add a `ReplayCache` (`verify(..., replay=cache)`).
"""

from verifier.policy import Policy
from verifier.replay import ReplayCache
from verifier.verify import Accepted, verify

__all__ = ["Accepted", "Policy", "ReplayCache", "verify"]
