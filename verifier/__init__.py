"""Offline verification for libraries, transit and clinics. Imports wallet_spec only.

`verify(text, bundle, policy, now=...)` is the whole interface: a presentation,
the trust bundle synced from the city, and the service's policy.
"""

from verifier.policy import Policy
from verifier.verify import Accepted, verify

__all__ = ["Accepted", "Policy", "verify"]
