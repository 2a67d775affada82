"""The resident's side: the reference holder wallet, its sealed file, and its OpenID4VCI client.

`wallet.model` holds keys, credentials and receipts and chooses what to present;
`wallet.oid4vci` receives and renews over HTTP. The web wallet lives in `wallet/web/`.
A wallet holds no city key and imports only the contract (`wallet_spec`).
"""
