"""The city's issuing service: clerk desk, OpenID4VCI issuance and renewal, revocation, publication.

`issuer.app` builds the FastAPI application (`citykey issuer serve`); `issuer.db`
is the storage (one SQLAlchemy Core schema on SQLite or PostgreSQL);
`issuer.statuslists` allocates random status indices, revokes and signs status
list tokens; `issuer.receipts` makes and opens the MAC'd revocation receipts;
`issuer.offers`, `issuer.oid4vci` and `issuer.renewal` carry OpenID4VCI; the
clerk desk lives in `issuer.desk`, the HTTP routes in `issuer.api`.
"""
