"""Reads for « Mes demandes » and for the staff's admin, in the collectivité's schema.

Unread counts are counted by the database, never in Python: a side's unread messages are
the other side's messages written after that side's read mark on the thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, FilteredRelation, Prefetch, Q, QuerySet

from families.models import Child, Foyer
from requests_inbox.models import Absence, AbsenceStatus, Attachment, Category, Message, Thread

# The navbar badge is cached per account; services drop it when it changes.
UNREAD_CACHE_SECONDS = 300


def _unread(*, from_staff: bool, read_mark: str) -> Count:
    return Count(
        "messages",
        filter=Q(messages__from_staff=from_staff)
        & (Q(**{f"{read_mark}__isnull": True}) | Q(messages__created_at__gt=F(read_mark))),
    )


def family_unread() -> Count:
    """Annotation: the staff's messages the family has not read."""
    return _unread(from_staff=True, read_mark="family_read_at")


def staff_unread() -> Count:
    """Annotation: the family's messages nobody at the mairie has read."""
    return _unread(from_staff=False, read_mark="staff_read_at")


def threads_unread_for(threads: QuerySet[Thread], *, user) -> QuerySet[Thread]:
    """Annotate ``threads`` with ``staff_unread``: the family's messages ``user`` has not read,
    and ``my_read_at``, that person's read mark (one LEFT JOIN on their own ThreadRead)."""
    not_read = Q(my_read__read_at__isnull=True) | Q(messages__created_at__gt=F("my_read__read_at"))
    return threads.annotate(
        my_read=FilteredRelation("reads", condition=Q(reads__user_id=user.pk)),
        my_read_at=F("my_read__read_at"),
    ).annotate(staff_unread=Count("messages", filter=Q(messages__from_staff=False) & not_read))


def unread_threads_count(*, user) -> int:
    """Return how many requests hold family messages ``user`` has not read (one query)."""
    return threads_unread_for(Thread.objects.all(), user=user).filter(staff_unread__gt=0).count()


def foyer_of_user(*, user) -> Foyer | None:
    """Return the account's foyer in the current schema, alone (one query)."""
    return Foyer.objects.filter(user=user).first()


def foyer_with_children(*, user) -> Foyer | None:
    """Return the account's foyer with its children (two queries)."""
    children = Prefetch("children", queryset=Child.objects.order_by("birth_date", "first_name"))
    return Foyer.objects.filter(user=user).prefetch_related(children).first()


def family_threads(*, foyer: Foyer) -> list[Thread]:
    """Return the foyer's threads, newest activity first, each with ``family_unread``.

    One query whatever the number of threads: the unread count is an aggregate of the
    same statement, and the absence (with its child) a join.
    """
    return list(
        Thread.objects.filter(foyer=foyer)
        .annotate(family_unread=family_unread())
        .select_related("absence__child")
    )


def family_thread(*, foyer: Foyer, pk: int) -> Thread | None:
    """Return the foyer's thread ``pk`` with its messages and attachments, None if not its own.

    Three queries: the thread (with its foyer, absence and child), the messages, the attachments.
    Another foyer's thread is never fetched, so its existence is never revealed.
    """
    return (
        Thread.objects.filter(foyer=foyer, pk=pk)
        .select_related("foyer", "absence__child")
        .prefetch_related(
            Prefetch("messages", queryset=Message.objects.order_by("created_at", "pk")),
            "messages__attachments",
        )
        .first()
    )


def thread_messages(*, thread: Thread) -> list[Message]:
    """Return the thread's messages, oldest first, with their authors and attachments.

    Two queries: the messages joined to their authors (public schema), the attachments.
    """
    return list(
        Message.objects.filter(thread=thread)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def unread_cache_key(*, user_id: int) -> str:
    return f"requests_inbox:unread:{connection.schema_name}:{user_id}"


def family_unread_total(*, user) -> int:
    """Return how many staff messages the account's foyer has not read (one query)."""
    return (
        Message.objects.filter(
            thread__foyer__user=user,
            from_staff=True,
        )
        .filter(
            Q(thread__family_read_at__isnull=True) | Q(created_at__gt=F("thread__family_read_at"))
        )
        .count()
    )


def family_unread_total_cached(*, user) -> int:
    """Return ``family_unread_total`` from the cache, or count it (one query) and keep it."""
    key = unread_cache_key(user_id=user.pk)
    total = cache.get(key)
    if total is None:
        total = family_unread_total(user=user)
        cache.set(key, total, UNREAD_CACHE_SECONDS)
    return total


def attachment_for_family(*, user, pk: int) -> Attachment | None:
    """Return attachment ``pk`` if it belongs to a thread of the account's foyer (one query)."""
    return Attachment.objects.filter(pk=pk, message__thread__foyer__user=user).first()


# Health data: what a family writes and joins about an absence (motifs, certificates).
# Staff without families.view_health (tenants.rules) see HEALTH_MASKED instead.
HEALTH_CATEGORIES = (Category.ABSENCES,)
HEALTH_MASKED = "(donnée de santé masquée)"


def holds_health_data(thread: Thread) -> bool:
    return thread.category in HEALTH_CATEGORIES


def attachment_for_staff(*, pk: int, with_health: bool) -> Attachment | None:
    """Return attachment ``pk`` of this collectivité (the schema is the boundary).

    Without ``with_health``, not a justificatif: nothing of a thread about an absence.
    """
    attachments = Attachment.objects.filter(pk=pk)
    if not with_health:
        attachments = attachments.exclude(message__thread__category__in=HEALTH_CATEGORIES)
    return attachments.first()


def thread_absence(*, thread: Thread) -> Absence | None:
    """Return the thread's absence, or None (no query when the thread was loaded with it)."""
    try:
        return thread.absence
    except Absence.DoesNotExist:
        return None


def justified_absence_days_by_child(
    *, child_ids: Iterable[int], start: date, end: date
) -> dict[int, set[date]]:
    """Return, per child id, the days from ``start`` to ``end`` covered by an accepted absence.

    Billing charges these days neither the booked price nor the unjustified-absence price.
    One query for any number of children; children without one are absent from the result.
    """
    days: dict[int, set[date]] = defaultdict(set)
    periods = Absence.objects.filter(
        child_id__in=list(child_ids), status=AbsenceStatus.ACCEPTED, start__lte=end, end__gte=start
    ).values_list("child_id", "start", "end")
    for child_id, first, last in periods:
        day, last = max(first, start), min(last, end)
        while day <= last:
            days[child_id].add(day)
            day += timedelta(days=1)
    return dict(days)


def justified_absence_days(*, child: Child, start: date, end: date) -> set[date]:
    """Return the days from ``start`` to ``end`` of ``child``'s accepted absences (one query)."""
    return justified_absence_days_by_child(child_ids=[child.pk], start=start, end=end).get(
        child.pk, set()
    )


def unread_message_ids(*, messages: Iterable[Message], by_staff: bool, read_mark) -> set[int]:
    """Return the ids of the other side's ``messages`` written after ``read_mark`` (no query)."""
    return {
        message.pk
        for message in messages
        if message.from_staff != by_staff and (read_mark is None or message.created_at > read_mark)
    }


def staff_accounts():
    """Return the accounts of this collectivité's staff (public schema), by name."""
    return (
        get_user_model()
        .objects.filter(memberships__collectivite=connection.tenant)
        .order_by("last_name", "first_name", "email")
    )
