"""The city's issuing service (clerk desk, OpenID4VCI, status lists).

So far: `issuer.db` (storage: one SQLAlchemy Core schema on SQLite or
PostgreSQL), `issuer.statuslists` (random status index allocation, revocation,
signed status list tokens) and `issuer.receipts` (MAC'd revocation receipts).
The rest is built in later issues.
"""
