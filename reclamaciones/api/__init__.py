"""The REST API for online stores (issue 14 §3): /api/v1/, per-provider clients, token or OAuth2 auth."""
