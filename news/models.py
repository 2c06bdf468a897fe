"""Models of the news app (filled by its own issue)."""
