"""Models of the requests_inbox app (filled by its own issue)."""
