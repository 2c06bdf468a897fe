"""Models of the reservations app (filled by its own issue)."""
