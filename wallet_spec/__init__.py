"""citykey's wallet specification: the formats every party reads, as pure functions.

Nothing here does I/O, talks to a network or opens a database; another wallet
or verifier could be built on this package alone.
"""
