"""The city's issuing service (clerk desk, OpenID4VCI, status lists). Built in later issues."""
