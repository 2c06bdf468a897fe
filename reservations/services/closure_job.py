"""The job a closure queues: cancel the bookings of its days, credit, tell each family once.

``closure_apply`` runs as a Celery task (reservations.tasks) after ``closure_create`` or
``closure_update`` (reservations.services.closures) committed. Lock order: the capacity rows
of the closed days (a barrier), then, per batch of families, the bookings and their days
(bookings_transition), then the prepaid tickets (billing.services.credits).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from reservations.lifecycle import Action, Reason, State
from reservations.models import Booking, Closure, ClosureStatus, Prestation, WaitingListEntry
from reservations.services import emails
from reservations.services.closures import bookings_hit, closure_prestation_ids
from reservations.services.lifecycle import LOCK_ORDER, bookings_transition
from reservations.services.places import days_lock

# Families per transaction of the job: each batch commits its cancellations, credits and
# e-mails together, and the progress bar moves.
BATCH_FOYERS = 100
CLOSURE_FAILED = (
    "L'application de la fermeture s'est arrêtée : les annulations déjà faites sont "
    "conservées ; enregistrez à nouveau la fermeture pour terminer."
)
CREDIT_FAILED = "Avoirs des tickets prépayés non émis : {message}"


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _barrier(prestations: Sequence[Prestation], start: date, end: date) -> None:
    """Wait for the cart validations holding the closed days' capacity rows.

    Caller must be in a transaction. Only days a prestation runs are locked (at most
    MAX_DAYS × its prestations, one statement).
    """
    keys = sorted(
        (prestation.pk, day)
        for prestation in prestations
        for day in _days(start, end)
        if day.isoweekday() in prestation.weekdays
    )
    if keys:
        days_lock(keys)


def _credit_prepaid(*, closure: Closure, bookings: list[Booking], user) -> tuple[int, list[str]]:
    """Credit the prepaid tickets that charged ``bookings`` (the money goes to each foyer's
    account: billing.services.credits); return how many avoirs were issued and, when billing
    refused, why.

    In a savepoint of its own: a ticket that cannot be credited does not stop the closure.
    """
    from billing.exceptions import BillingError
    from billing.services.credits import paid_bookings_credit

    try:
        with transaction.atomic():
            credits = paid_bookings_credit(
                booking_ids=[b.pk for b in bookings],
                reason=f"Fermeture {closure.period_label} : {closure.reason}",
                user=user,
            )
    except BillingError as error:
        return 0, [CREDIT_FAILED.format(message=error.message)]
    return len(credits), []


def _apply_batch(
    *, closure: Closure, foyer_ids: list[int], prestation_ids: list[int], user, now
) -> list[str]:
    """Cancel, credit and tell the families ``foyer_ids`` in one transaction."""
    with transaction.atomic():
        bookings = list(
            bookings_hit(prestation_ids=prestation_ids, start=closure.start, end=closure.end)
            .filter(child__foyer_id__in=foyer_ids)
            .select_for_update(of=("self",))
            .order_by(*LOCK_ORDER)
        )
        done = bookings_transition(
            bookings=bookings,
            action=Action.CANCEL,
            reason=Reason.CLOSURE,
            user=user,
            by_staff=True,
            note=f"Fermeture {closure.period_label} : {closure.reason}",
            now=now,
        )
        issued, failures = _credit_prepaid(closure=closure, bookings=done.bookings, user=user)
        # Cart lines are cancelled too, but were never booked: nobody is told about them.
        carts = {b.pk for b in bookings if b.state == State.CART}
        told = emails.closure_announced(
            closure=closure, bookings=[b for b in done.bookings if b.pk not in carts]
        )
        Closure.objects.filter(pk=closure.pk).update(
            bookings_done=F("bookings_done") + len(done.bookings),
            foyers_notified=F("foyers_notified") + told,
            credits_issued=F("credits_issued") + issued,
        )
    return failures


def closure_apply(
    *, closure_id: int, now: datetime | None = None, batch_foyers: int = BATCH_FOYERS
) -> Closure | None:
    """Cancel the bookings ``closure_id`` covers, batch by batch of families (the job).

    Safe to run again, after a failure too: what was cancelled stays, the rest is done, and
    no family is e-mailed twice for one version of the closure. None if it was deleted.
    """
    now = now or timezone.now()
    closure = (
        Closure.objects.select_related("service")
        .prefetch_related("prestations")
        .filter(pk=closure_id)
        .first()
    )
    if closure is None:
        return None
    user = None
    if closure.created_by_id:
        user = get_user_model().objects.filter(pk=closure.created_by_id).first()
    ids = closure_prestation_ids(closure)
    Closure.objects.filter(pk=closure.pk).update(status=ClosureStatus.RUNNING, error="")
    failures: list[str] = []
    try:
        with transaction.atomic():
            _barrier(Prestation.objects.filter(pk__in=ids), closure.start, closure.end)
            # Nobody waits for a place on a closed day: a freed place must not go there.
            WaitingListEntry.objects.waiting().filter(
                prestation_id__in=ids, day__range=(closure.start, closure.end)
            ).delete()
            hits = bookings_hit(prestation_ids=ids, start=closure.start, end=closure.end)
            foyer_ids = sorted(set(hits.values_list("child__foyer_id", flat=True)))
            Closure.objects.filter(pk=closure.pk).update(
                bookings_total=F("bookings_done") + hits.count()
            )
        for first in range(0, len(foyer_ids), batch_foyers):
            failures += _apply_batch(
                closure=closure,
                foyer_ids=foyer_ids[first : first + batch_foyers],
                prestation_ids=ids,
                user=user,
                now=now,
            )
    except Exception as error:
        Closure.objects.filter(pk=closure.pk).update(
            status=ClosureStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{CLOSURE_FAILED} ({type(error).__name__})",
        )
        raise
    Closure.objects.filter(pk=closure.pk).update(
        status=ClosureStatus.DONE, finished_at=timezone.now(), error="\n".join(failures)
    )
    closure.refresh_from_db()
    return closure
