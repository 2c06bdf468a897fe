"""Writes of the news: saving a post, e-mailing it once to each foyer of its audience."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from news import rules
from news.exceptions import PostAlreadyEmailed, PostNotPublished
from news.models import Post
from news.selectors import audience_foyers
from portal.dispatch import task_dispatch_on_commit
from portal.links import site_url
from portal.models import NotificationPreference, OutgoingEmail
from portal.services import email_queue

# Foyers handled per transaction: each batch's e-mails leave as soon as it commits, and a
# crash loses at most one batch, which the next run queues again.
EMAIL_BATCH = 200


def post_write(*, post: Post) -> Post:
    """Validate ``post`` (an attachment's bytes included) and save it."""
    post.full_clean()
    post.save()
    return post


def post_publish(*, post: Post, now: datetime | None = None) -> Post:
    """« Publier maintenant »: put ``post`` online at ``now``, until its withdrawal date if
    that is still to come (a withdrawal already past is cleared: publishing means online)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.publish_at is None or locked.publish_at > now:
            locked.publish_at = now
        if locked.unpublish_at is not None and locked.unpublish_at <= now:
            locked.unpublish_at = None
        locked.full_clean()
        locked.save(update_fields=["publish_at", "unpublish_at", "updated_at"])
    return locked


def post_email_request(*, post: Post, now: datetime | None = None) -> Post:
    """Record that ``post`` goes out by e-mail, and queue the sending once this commits.

    The date is written once, under the row's lock: a second request, from another click or
    another agent, is refused and sends nothing. A post not online cannot be sent.
    """
    from news.tasks import post_email_task

    now = now or timezone.now()
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.emailed_at is not None:
            sent_on = date_format(timezone.localtime(locked.emailed_at), "d/m/Y à H:i")
            raise PostAlreadyEmailed(locked.title, sent_on)
        state = rules.publication_state(
            publish_at=locked.publish_at, unpublish_at=locked.unpublish_at, now=now
        )
        if state != rules.PublicationState.PUBLISHED:
            raise PostNotPublished(locked.title)
        locked.emailed_at = now
        locked.save(update_fields=["emailed_at"])
        task_dispatch_on_commit(post_email_task, post_id=locked.pk)
    return locked


def _email_key(post: Post, foyer_id: int) -> str:
    return f"news-post:{post.pk}:{foyer_id}"


def _recipient(foyer) -> str | None:
    email = NotificationPreference.EMAIL
    account = foyer.user
    return rules.news_recipient(
        responsables=[
            rules.Contact(email=r.email, wants_email=r.notification == email)
            for r in foyer.responsables.all()
        ],
        account=rules.Contact(email=account.email, wants_email=account.notification == email)
        if account
        else None,
        foyer_email=foyer.email,
    )


def post_email_send(
    *, post_id: int, now: datetime | None = None, batch_size: int = EMAIL_BATCH
) -> int:
    """Queue ``post``'s e-mail to each foyer of its audience that accepts e-mail.

    Only for a post whose sending was requested (``post_email_request``). Safe to run
    twice: a foyer already e-mailed about this post (whatever its address now) is skipped,
    and ``email_queue`` sends a (key, address) once. Returns how many e-mails were queued.
    """
    now = now or timezone.now()
    post = Post.objects.filter(pk=post_id, emailed_at__isnull=False).first()
    if post is None:
        return 0
    collectivite = connection.tenant
    url = site_url(collectivite.get_primary_domain().domain, reverse("news:detail", args=[post.pk]))
    subject = f"Actualité : {post.title}"
    body = render_to_string(
        "news/emails/post.txt", {"post": post, "collectivite": collectivite, "url": url}
    )
    foyers = audience_foyers(post=post, now=now).order_by("pk")
    queued, last_pk = 0, 0
    while True:
        with transaction.atomic():
            batch = list(foyers.filter(pk__gt=last_pk)[:batch_size])
            keys = {_email_key(post, foyer.pk): foyer for foyer in batch}
            done = set(
                OutgoingEmail.objects.filter(
                    schema_name=connection.schema_name, key__in=keys
                ).values_list("key", flat=True)
            )
            for key, foyer in keys.items():
                to = None if key in done else _recipient(foyer)
                if to:
                    email_queue(to=to, subject=subject, body=body, key=key)
                    queued += 1
        if len(batch) < batch_size:
            return queued
        last_pk = batch[-1].pk
