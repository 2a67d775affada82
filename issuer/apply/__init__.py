"""The online pre-application: the `/apply/` page (`issuer/apply/web`, static files) and desk appointments.

The page runs in the resident's browser and sends nothing it is given: the
attributes become a `CKA1:` code on the resident's screen or paper
(`wallet_spec.preapplication`). The only requests it makes are for its own
files and, if the resident books a desk slot, `GET /appointments/slots` and
`POST /appointments` (the slot, nothing else: `issuer.appointments`).
"""
