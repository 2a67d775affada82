"""Offline verification for libraries, transit and clinics. Imports wallet_spec only."""
