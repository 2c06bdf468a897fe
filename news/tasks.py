"""Celery tasks of the news: thin wrappers around news.services, run in the post's schema."""

from __future__ import annotations

from news import services
from portal.celery import app


@app.task
def post_email_task(*, post_id: int) -> int:
    """E-mail post ``post_id`` to its audience; safe to run twice (each foyer gets it once)."""
    return services.post_email_send(post_id=post_id)
