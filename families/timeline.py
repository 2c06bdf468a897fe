"""One history per child and per foyer, newest first, for the staff's admin pages.

What happened to a child's bookings (each BookingEvent, with its reason and motive), its
absences (declared, decided), the requests and messages exchanged with the family, the
attendance marks, the invoices issued to the foyer and the staff's edits of the record
itself (the admin log): who did it and when, read in Paris time by the page.

A page costs a fixed number of queries whatever the history's length: the entries of all
kinds are ordered and cut by the database in one UNION ALL (with one count), then each
kind present on the page is read in one query with what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.paginator import Page, Paginator
from django.db.models import CharField, F, QuerySet, Value
from django.utils.formats import date_format

from families.models import Child, Foyer

PAGE_SIZE = 20
BOOKING, ABSENCE_DECLARED, ABSENCE_DECIDED, MESSAGE, ATTENDANCE, INVOICE, RECORD = (
    "booking",
    "absence",
    "absence_decided",
    "message",
    "attendance",
    "invoice",
    "record",
)
KIND_LABELS = {
    BOOKING: "Réservation",
    ABSENCE_DECLARED: "Absence",
    ABSENCE_DECIDED: "Absence",
    MESSAGE: "Demande",
    ATTENDANCE: "Pointage",
    INVOICE: "Facture",
    RECORD: "Fiche",
}
SYSTEM = "Automatique"
LOG_ACTIONS = {ADDITION: "créée", CHANGE: "modifiée", DELETION: "supprimée"}


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    text: str
    who: str
    note: str = ""

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def _day(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _person(user, *, staff: bool | None = None) -> str:
    if user is None:
        return SYSTEM if staff is None else ("Mairie" if staff else "Famille")
    name = user.get_full_name() or user.email
    if staff is None:
        return name
    return f"{'Mairie' if staff else 'Famille'} — {name}"


def _keyed(queryset: QuerySet, kind: str, at: str) -> QuerySet:
    return (
        queryset.order_by()
        .annotate(entry_kind=Value(kind, output_field=CharField()), entry_at=F(at))
        .values_list("entry_kind", "pk", "entry_at")
    )


def _sources(*, child: Child | None, foyer: Foyer | None) -> list[QuerySet]:
    from billing.models import AttendanceMark, Invoice
    from requests_inbox.models import Absence, Message
    from reservations.models import BookingEvent

    if child is not None:
        events = BookingEvent.objects.filter(booking__child=child)
        absences = Absence.objects.filter(child=child)
        messages = Message.objects.filter(thread__absence__child=child)
        marks = AttendanceMark.objects.filter(attendance__child=child)
        records = LogEntry.objects.filter(
            content_type__app_label="families",
            content_type__model="child",
            object_id=str(child.pk),
        )
        invoices = Invoice.objects.none()
    else:
        events = BookingEvent.objects.filter(booking__child__foyer=foyer)
        absences = Absence.objects.filter(child__foyer=foyer)
        messages = Message.objects.filter(thread__foyer=foyer)
        marks = AttendanceMark.objects.filter(attendance__child__foyer=foyer)
        records = LogEntry.objects.filter(
            content_type__app_label="families",
            content_type__model="foyer",
            object_id=str(foyer.pk),
        )
        invoices = Invoice.objects.filter(foyer=foyer)
    return [
        _keyed(events, BOOKING, "at"),
        _keyed(absences, ABSENCE_DECLARED, "created_at"),
        _keyed(absences.filter(decided_at__isnull=False), ABSENCE_DECIDED, "decided_at"),
        _keyed(messages, MESSAGE, "created_at"),
        _keyed(marks, ATTENDANCE, "at"),
        _keyed(invoices, INVOICE, "created_at"),
        _keyed(records, RECORD, "action_time"),
    ]


def _details(rows: list[tuple[str, int, datetime]]) -> list[Entry]:
    """Read what each entry of a page shows: one query per kind present on it."""
    from billing.documents import euros
    from billing.models import AttendanceMark, Invoice
    from requests_inbox.models import Absence, Message
    from reservations.models import BookingEvent

    ids: dict[str, list[int]] = {}
    for kind, pk, _ in rows:
        ids.setdefault(kind, []).append(pk)
    found: dict[tuple[str, int], Entry] = {}
    if BOOKING in ids:
        for event in BookingEvent.objects.filter(pk__in=ids[BOOKING]).select_related(
            "booking__child", "booking__prestation", "by_user"
        ):
            booking = event.booking
            found[(BOOKING, event.pk)] = Entry(
                at=event.at,
                kind=BOOKING,
                text=(
                    f"{booking.child.first_name} — {booking.prestation.name} le "
                    f"{_day(booking.day)} : {event.get_state_display()} "
                    f"({event.get_reason_display().lower()})"
                ),
                who=_person(event.by_user, staff=event.by_staff),
                note=event.note,
            )
    absence_ids = ids.get(ABSENCE_DECLARED, []) + ids.get(ABSENCE_DECIDED, [])
    if absence_ids:
        for absence in Absence.objects.filter(pk__in=absence_ids).select_related(
            "child", "decided_by", "thread__foyer__user"
        ):
            period = f"{absence.child.first_name}, du {_day(absence.start)} au {_day(absence.end)}"
            found[(ABSENCE_DECLARED, absence.pk)] = Entry(
                at=absence.created_at,
                kind=ABSENCE_DECLARED,
                text=f"Absence déclarée : {period}",
                who=_person(absence.thread.foyer.user, staff=False),
            )
            if absence.decided_at:
                found[(ABSENCE_DECIDED, absence.pk)] = Entry(
                    at=absence.decided_at,
                    kind=ABSENCE_DECIDED,
                    text=f"Absence {absence.get_status_display().lower()} : {period}",
                    who=_person(absence.decided_by, staff=True),
                )
    if MESSAGE in ids:
        for message in Message.objects.filter(pk__in=ids[MESSAGE]).select_related(
            "thread", "author"
        ):
            found[(MESSAGE, message.pk)] = Entry(
                at=message.created_at,
                kind=MESSAGE,
                text=f"Message dans « {message.thread.subject} »",
                who=_person(message.author, staff=message.from_staff),
            )
    if ATTENDANCE in ids:
        for mark in AttendanceMark.objects.filter(pk__in=ids[ATTENDANCE]).select_related(
            "attendance__child", "attendance__prestation", "by_user"
        ):
            attendance = mark.attendance
            found[(ATTENDANCE, mark.pk)] = Entry(
                at=mark.at,
                kind=ATTENDANCE,
                text=(
                    f"{attendance.child.first_name} — {attendance.prestation.name} le "
                    f"{_day(attendance.day)} : {mark.get_status_display().lower()}"
                ),
                who=_person(mark.by_user, staff=True),
                note=mark.note,
            )
    if INVOICE in ids:
        for invoice in Invoice.objects.filter(pk__in=ids[INVOICE]):
            found[(INVOICE, invoice.pk)] = Entry(
                at=invoice.created_at,
                kind=INVOICE,
                text=(
                    f"{invoice.get_kind_display()} n° {invoice.number} du "
                    f"{_day(invoice.period_start)} au {_day(invoice.period_end)} : "
                    f"{euros(invoice.total)} € ({invoice.get_status_display().lower()})"
                ),
                who="Mairie",
            )
    if RECORD in ids:
        for log in LogEntry.objects.filter(pk__in=ids[RECORD]).select_related("user"):
            found[(RECORD, log.pk)] = Entry(
                at=log.action_time,
                kind=RECORD,
                text=f"Fiche {LOG_ACTIONS.get(log.action_flag, 'modifiée')}",
                who=_person(log.user, staff=True),
                note=log.get_change_message(),
            )
    return [found[(kind, pk)] for kind, pk, _ in rows if (kind, pk) in found]


def timeline_page(
    *,
    foyer: Foyer | None = None,
    child: Child | None = None,
    page: int | str = 1,
    per_page: int = PAGE_SIZE,
) -> Page:
    """Return one page of the history of ``child``, or of ``foyer`` (all its children's).

    The page's ``object_list`` holds Entry rows, newest first. An out-of-range or garbage
    page number gives the last or the first page.
    """
    first, *others = _sources(child=child, foyer=foyer)
    union = first.union(*others, all=True).order_by("-entry_at", "-pk")
    paginator = Paginator(union, per_page)
    current = paginator.get_page(page)
    current.object_list = _details(list(current.object_list))
    return current
