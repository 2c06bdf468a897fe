"""Closures: the days staff close for a service or some of its prestations, and what follows.

``closure_create`` and ``closure_update`` check the period and the prestations, then, under
the service row's lock, that no other closure of that service meets these days and
prestations; they write the closure and queue its job once committed. The job
(``closure_apply`` in reservations.services.closure_job, a Celery task) cancels the
bookings of those days through ``bookings_transition`` with the reason « fermeture »
(billing never bills a cancelled booking), credits what a prepaid ticket charged for them,
and e-mails each family once with all of its cancelled days. It works by batches of
families: a family's bookings are never split between two batches, so its one e-mail lists
them all, and the progress on the closure row moves with each committed batch. Run again,
it cancels what is left and sends nothing twice (the e-mail journal is keyed on the
closure, its version and the foyer).

Lock order: the service row (closures of one service are written one at a time); in the
job, the capacity rows of the closed days (a barrier: a cart validated under those locks
before the closure was committed is waited for, and any later one sees the closure and is
refused), then, per batch, the bookings and their days (bookings_transition), then the
prepaid tickets (billing.services.credits).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.dispatch import task_dispatch_on_commit
from reservations.exceptions import (
    CLOSURE_IN_PAST,
    CLOSURE_NOT_ALLOWED,
    CLOSURE_OTHER_SERVICE,
    CLOSURE_OVERLAP,
    CLOSURE_REASON_EMPTY,
    CLOSURE_RUNNING,
    CLOSURE_TOO_LONG,
    CLOSURE_UPSIDE_DOWN,
    ClosureError,
)
from reservations.models import (
    Booking,
    Closure,
    ClosureStatus,
    Prestation,
    Service,
)
from reservations.rules import PARIS

DECIDE = "reservations.decide"
# A closure longer than this is a mistake in the dates (and its barrier would lock too many
# capacity rows): split it.
MAX_DAYS = 366
WHOLE_SERVICE = "tout le service"


def _check_allowed(user) -> None:
    if user is None or not user.has_perm(DECIDE):
        raise ClosureError(CLOSURE_NOT_ALLOWED)


def closure_check(
    *,
    service: Service,
    prestations: Sequence[Prestation],
    start: date,
    end: date,
    reason: str,
    today: date,
    start_unchanged: bool = False,
) -> str:
    """Return the cleaned motive, or raise ClosureError saying what is wrong (no query).

    A closure starts today at the earliest (a strike this morning); one already begun may
    be changed as long as its start stays where it is.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ClosureError(CLOSURE_REASON_EMPTY)
    if end < start:
        raise ClosureError(CLOSURE_UPSIDE_DOWN)
    if start < today and not start_unchanged:
        raise ClosureError(CLOSURE_IN_PAST)
    if (end - start).days + 1 > MAX_DAYS:
        raise ClosureError(CLOSURE_TOO_LONG.format(days=MAX_DAYS))
    for prestation in prestations:
        if prestation.service_id != service.pk:
            raise ClosureError(CLOSURE_OTHER_SERVICE.format(name=prestation.name))
    return reason


def scope_label(prestations: Iterable[Prestation]) -> str:
    names = [f"« {p.name} »" for p in prestations]
    return ", ".join(names) if names else WHOLE_SERVICE


def closure_scope(closure: Closure, prestations: Iterable[Prestation]) -> str:
    """« GROUPE SCOLAIRE » or « « CANTINE » (GROUPE SCOLAIRE) »: what families read."""
    prestations = list(prestations)
    if not prestations:
        return closure.service.name
    return f"{scope_label(prestations)} ({closure.service.name})"


def closure_overlapping(
    *,
    service: Service,
    prestation_ids: Iterable[int],
    start: date,
    end: date,
    exclude_pk: int | None = None,
) -> Closure | None:
    """Return a closure of ``service`` meeting these days and prestations, or None.

    Two closures meet when their periods share a day and either covers the whole service
    or they share a prestation. Two queries (the closures, their prestations).
    """
    wanted = set(prestation_ids)
    others = (
        Closure.objects.filter(service=service, start__lte=end, end__gte=start)
        .exclude(pk=exclude_pk)
        .prefetch_related("prestations")
        .order_by("start", "pk")
    )
    for other in others:
        theirs = {p.pk for p in other.prestations.all()}
        if not wanted or not theirs or wanted & theirs:
            return other
    return None


def _refuse_overlap(other: Closure | None) -> None:
    if other is not None:
        raise ClosureError(
            CLOSURE_OVERLAP.format(
                scope=scope_label(other.prestations.all()),
                period=other.period_label,
                reason=other.reason,
            )
        )


def closure_prestation_ids(closure: Closure) -> list[int]:
    """Return the prestations ``closure`` closes: its own, or every one of its service."""
    own = [p.pk for p in closure.prestations.all()]
    if own:
        return own
    return list(
        Prestation.objects.filter(service_id=closure.service_id).values_list("pk", flat=True)
    )


def bookings_hit(*, prestation_ids: Iterable[int], start: date, end: date) -> QuerySet[Booking]:
    """Return the bookings a closure of ``prestation_ids`` from ``start`` to ``end`` cancels.

    Every active one: those holding a place, and cart lines (which could no longer be
    validated).
    """
    return Booking.objects.active().filter(
        prestation_id__in=list(prestation_ids), day__range=(start, end)
    )


def _queue(closure: Closure) -> None:
    from reservations.tasks import closure_apply_task

    pk = closure.pk
    task_dispatch_on_commit(closure_apply_task, closure_id=pk)


def _news_publish(*, closure: Closure, prestations, now: datetime):
    """Publish the closure in « Mes actualités » for the families of its service."""
    from news.models import Category, Post
    from news.services import post_write

    scope = closure_scope(closure, prestations)
    post = Post(
        title=f"Fermeture {closure.period_label} : {scope}"[:200],
        category=Category.FERMETURE,
        service=closure.service,
        body=(
            f"Fermeture {closure.period_label} : {scope}.\n\nMotif : {closure.reason}\n\n"
            "Les réservations de ces jours sont annulées et ne seront pas facturées ; chaque "
            "famille concernée reçoit un e-mail."
        ),
        publish_at=now,
        unpublish_at=datetime.combine(closure.end + timedelta(days=1), time(), PARIS),
    )
    return post_write(post=post)


def closure_create(
    *,
    service: Service,
    prestations: Sequence[Prestation],
    start: date,
    end: date,
    reason: str,
    user,
    publish_news: bool = False,
    now: datetime | None = None,
) -> Closure:
    """Close ``prestations`` of ``service`` (none: all of them) from ``start`` to ``end``.

    Refused (ClosureError, nothing written) for a role that cannot decide bookings, a
    period in the past, upside down or too long, a prestation of another service, or a
    period meeting another closure of the same prestations. The bookings of those days are
    cancelled by the job queued at commit; ``publish_news`` also publishes a post to the
    families of the service until the day after the closure.
    """
    _check_allowed(user)
    now = now or timezone.now()
    prestations = list(prestations)
    reason = closure_check(
        service=service,
        prestations=prestations,
        start=start,
        end=end,
        reason=reason,
        today=timezone.localdate(now),
    )
    with transaction.atomic():
        Service.objects.select_for_update().get(pk=service.pk)
        _refuse_overlap(
            closure_overlapping(
                service=service, prestation_ids=[p.pk for p in prestations], start=start, end=end
            )
        )
        closure = Closure.objects.create(
            service=service,
            start=start,
            end=end,
            reason=reason,
            created_by=user,
            created_at=now,
        )
        closure.prestations.set(prestations)
        ids = [p.pk for p in prestations] or closure_prestation_ids(closure)
        closure.bookings_total = bookings_hit(prestation_ids=ids, start=start, end=end).count()
        if publish_news:
            closure.news_post = _news_publish(closure=closure, prestations=prestations, now=now)
        closure.save(update_fields=["bookings_total", "news_post"])
        _queue(closure)
    return closure


def closure_update(
    *,
    closure: Closure,
    prestations: Sequence[Prestation],
    start: date,
    end: date,
    reason: str,
    user,
    now: datetime | None = None,
) -> Closure:
    """Change a closure's period, prestations or motive; cancel the bookings it now covers.

    What it covered before and no longer does is not restored: those bookings stay
    cancelled. Refused while its job runs, and as ``closure_create`` refuses.
    """
    _check_allowed(user)
    now = now or timezone.now()
    prestations = list(prestations)
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=closure.service_id)
        locked = Closure.objects.select_for_update().get(pk=closure.pk)
        if locked.status in (ClosureStatus.QUEUED, ClosureStatus.RUNNING):
            raise ClosureError(CLOSURE_RUNNING)
        reason = closure_check(
            service=service,
            prestations=prestations,
            start=start,
            end=end,
            reason=reason,
            today=timezone.localdate(now),
            start_unchanged=start == locked.start,
        )
        _refuse_overlap(
            closure_overlapping(
                service=service,
                prestation_ids=[p.pk for p in prestations],
                start=start,
                end=end,
                exclude_pk=locked.pk,
            )
        )
        locked.start, locked.end, locked.reason = start, end, reason
        locked.revision += 1
        locked.status = ClosureStatus.QUEUED
        locked.save()
        locked.prestations.set(prestations)
        hits = bookings_hit(prestation_ids=closure_prestation_ids(locked), start=start, end=end)
        # The counts add up over versions: what this closure cancelled, in all.
        locked.bookings_total = locked.bookings_done + hits.count()
        locked.save(update_fields=["bookings_total"])
        _queue(locked)
    return locked


def closure_delete(*, closure: Closure, user, now: datetime | None = None) -> int:
    """Delete a closure: its days open again. Return how many bookings stay cancelled.

    Bookings it cancelled are not restored (families book again); the post it published is
    withdrawn. Refused while its job runs.
    """
    _check_allowed(user)
    now = now or timezone.now()
    with transaction.atomic():
        Service.objects.select_for_update().get(pk=closure.service_id)
        locked = (
            Closure.objects.select_for_update(of=("self",))
            .select_related("news_post")
            .get(pk=closure.pk)
        )
        if locked.status in (ClosureStatus.QUEUED, ClosureStatus.RUNNING):
            raise ClosureError(CLOSURE_RUNNING)
        post = locked.news_post
        if post is not None and (post.unpublish_at is None or post.unpublish_at > now):
            post.unpublish_at = max(now, post.publish_at + timedelta(seconds=1))
            post.save(update_fields=["unpublish_at"])
        cancelled = locked.bookings_done
        locked.delete()
    return cancelled
