"""Booking and cancellation deadlines, as data, and the decisions they give.

Pure Python (no Django), with ``now`` passed in. Every rule is read in Europe/Paris: a
deadline is computed from the local calendar day and the rule's local time, then converted
once to UTC, so « mardi avant 12h » is 10:00Z in summer and 11:00Z in winter.

Weekdays are ISO numbers, as in the models: 1 = lundi … 7 = dimanche.

Working days (for :class:`DaysBeforeDeadline` with ``skip_non_working_days``) are the
mairie's: Monday to Friday less public holidays (see ``reservations.calendar.WorkingDays``),
not the days the service is open. Wednesdays and school holidays stay working days: the
office orders meals and staffs the garderie then, and counting only open days would put the
deadline of the rentrée two weeks before it.

Local times that do not exist (02:00–03:00 on the last Sunday of March) resolve as PEP 495
``fold=0`` does, one hour later on the clock; ambiguous ones (the last Sunday of October)
take the first, earlier, instant.

The booking horizon that bounds every booking (:mod:`reservations.horizon`) is passed to
:func:`can_book`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, TypeAlias
from zoneinfo import ZoneInfo

from reservations.calendar import WEEKDAY_NAMES, ClosureCalendar, WorkingDays
from reservations.horizon import BookingHorizon, format_day

__all__ = [
    "PARIS",
    "BookingRule",
    "CancellationRule",
    "DaysBeforeDeadline",
    "Decision",
    "NotAllowed",
    "OpeningDate",
    "PrestationRules",
    "WeeklyDeadline",
    "booking_deadline",
    "can_book",
    "can_cancel",
    "describe",
    "local_day",
]

PARIS = ZoneInfo("Europe/Paris")

# What parents read. {when} is « mardi 14/01/2025 à 12h00 », {day} is « 14/01/2025 ».
BOOKING_OPEN_UNTIL = "Réservable jusqu'au {when}"
BOOKING_CLOSED = "Réservation close depuis le {when}"
BOOKING_NOT_ALLOWED = "Réservation non autorisée {reason}"
BOOKING_NOT_OPEN_YET = "Réservations ouvertes à partir du {day}"
BOOKING_PAST_DAY = "Réservation impossible : le {day} est passé"
CANCEL_OPEN_UNTIL = "Annulable jusqu'au {when}"
CANCEL_CLOSED = "Annulation close depuis le {when}"
CANCEL_NOT_ALLOWED = "Annulation non autorisée {reason}"
CANCEL_PAST_DAY = "Annulation impossible : le {day} est passé"


class WorkingDayCalendar(Protocol):
    def is_working_day(self, day: date) -> bool: ...


FRENCH_WORKING_DAYS = WorkingDays()


# --- Rules ------------------------------------------------------------------------------


def _check_local_time(value: time) -> None:
    if value.tzinfo is not None:
        raise ValueError("L'heure limite est une heure locale (Europe/Paris), sans fuseau.")


@dataclass(frozen=True)
class WeeklyDeadline:
    """« Mardi avant 12h pour la semaine n+1 ».

    Any day of ISO week W is booked before ``weekday`` at ``time`` of week W - weeks_ahead.
    The weekday keeps its deadline even when it is a public holiday: the portal is open.
    """

    weekday: int
    time: time
    weeks_ahead: int = 1

    def __post_init__(self) -> None:
        if self.weekday not in WEEKDAY_NAMES:
            raise ValueError(f"Jour ISO attendu (1 à 7) : {self.weekday}")
        if self.weeks_ahead < 1:
            raise ValueError("Le délai porte au moins sur la semaine précédente.")
        _check_local_time(self.time)


@dataclass(frozen=True)
class DaysBeforeDeadline:
    """« La veille avant 17h00 pour le lendemain »: ``days`` days before, at ``time``.

    With ``skip_non_working_days`` the days counted are working days, so the veille of a
    Monday is the Friday and the veille of the day after a public holiday is the working
    day before the holiday.
    """

    days: int
    time: time
    skip_non_working_days: bool = True

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("Le délai porte au moins sur la veille.")
        _check_local_time(self.time)


@dataclass(frozen=True)
class NotAllowed:
    """« Non autorisé sans absence justifiée »: parents cannot do it through the portal."""

    reason: str = "sans absence justifiée"


@dataclass(frozen=True)
class OpeningDate:
    """Nothing can be booked before this local date (from midnight, Paris) or aware instant."""

    date: date

    def __post_init__(self) -> None:
        if isinstance(self.date, datetime) and self.date.utcoffset() is None:
            raise ValueError("L'ouverture des réservations doit être un instant avec fuseau.")

    @property
    def instant(self) -> datetime:
        """Return the instant bookings open, in UTC."""
        if isinstance(self.date, datetime):
            return self.date.astimezone(UTC)
        return _local_instant(self.date, time(0, 0))


BookingRule: TypeAlias = WeeklyDeadline | DaysBeforeDeadline | NotAllowed
CancellationRule: TypeAlias = WeeklyDeadline | DaysBeforeDeadline | NotAllowed


@dataclass(frozen=True)
class PrestationRules:
    """The rules of one prestation: how long it can be booked, cancelled, and from when."""

    booking: BookingRule
    cancellation: CancellationRule
    opening: OpeningDate | None = None


@dataclass(frozen=True)
class Decision:
    """Whether an action is allowed; ``until`` is when it stops being so (allowed only)."""

    allowed: bool
    until: datetime | None
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


# --- Time helpers -----------------------------------------------------------------------


def _local_instant(day: date, at: time) -> datetime:
    # The one place a local wall-clock time becomes an instant.
    return datetime.combine(day, at, tzinfo=PARIS).astimezone(UTC)


def _check_aware(now: datetime) -> None:
    if now.utcoffset() is None:
        raise ValueError("`now` doit être un datetime avec fuseau (aware).")


def local_day(instant: datetime) -> date:
    """Return the calendar day in Paris at ``instant`` (an aware datetime)."""
    _check_aware(instant)
    return instant.astimezone(PARIS).date()


def _format_hour(at: time, *, short: bool) -> str:
    if short and at.minute == 0:
        return f"{at.hour}h"
    return f"{at.hour}h{at.minute:02d}"


def _format_instant(instant: datetime) -> str:
    local = instant.astimezone(PARIS)
    weekday = WEEKDAY_NAMES[local.isoweekday()]
    return f"{weekday} {local:%d/%m/%Y} à {_format_hour(local.time(), short=False)}"


# --- Deadlines --------------------------------------------------------------------------


def _working_days_before(day: date, count: int, working_days: WorkingDayCalendar) -> date:
    found = 0
    current = day
    while found < count:
        current -= timedelta(days=1)
        if working_days.is_working_day(current):
            found += 1
    return current


def booking_deadline(
    rule: BookingRule | CancellationRule,
    day: date,
    *,
    working_days: WorkingDayCalendar | None = None,
) -> datetime | None:
    """Return the instant (UTC) until which ``day`` can be booked under ``rule``.

    None means no deadline applies because the action is not allowed at all
    (:class:`NotAllowed`). ``working_days`` (a ``ClosureCalendar`` or ``WorkingDays``)
    defaults to Monday–Friday less the French public holidays.
    """
    if isinstance(rule, WeeklyDeadline):
        monday = day - timedelta(days=day.isoweekday() - 1)
        deadline_day = monday - timedelta(weeks=rule.weeks_ahead, days=-(rule.weekday - 1))
        return _local_instant(deadline_day, rule.time)
    if isinstance(rule, DaysBeforeDeadline):
        if rule.skip_non_working_days:
            deadline_day = _working_days_before(day, rule.days, working_days or FRENCH_WORKING_DAYS)
        else:
            deadline_day = day - timedelta(days=rule.days)
        return _local_instant(deadline_day, rule.time)
    if isinstance(rule, NotAllowed):
        return None
    raise TypeError(f"Règle inconnue : {rule!r}")


def can_book(
    rules: PrestationRules,
    day: date,
    now: datetime,
    *,
    calendar: ClosureCalendar | None = None,
    horizon: BookingHorizon | None = None,
) -> Decision:
    """Tell whether a parent can book ``day`` at ``now``, and until when.

    With a ``calendar``, a closed day is refused with its reason and deadlines in working
    days use the calendar's public holidays. With a ``horizon``, a day past it is refused
    before its calendar is even read. Staff overrides are the caller's business.
    """
    _check_aware(now)
    if day < local_day(now):
        return Decision(False, None, BOOKING_PAST_DAY.format(day=format_day(day)))
    if horizon is not None and not horizon.allows(day):
        return Decision(False, None, horizon.refusal)
    if calendar is not None:
        closed = calendar.closed_reason(day)
        if closed is not None:
            return Decision(False, None, closed)
    if rules.opening is not None and now < rules.opening.instant:
        return Decision(False, None, describe(rules.opening))
    if isinstance(rules.booking, NotAllowed):
        reason = BOOKING_NOT_ALLOWED.format(reason=rules.booking.reason).strip()
        return Decision(False, None, reason)
    deadline = booking_deadline(rules.booking, day, working_days=calendar)
    assert deadline is not None
    if now < deadline:
        return Decision(True, deadline, BOOKING_OPEN_UNTIL.format(when=_format_instant(deadline)))
    return Decision(False, None, BOOKING_CLOSED.format(when=_format_instant(deadline)))


def can_cancel(
    rules: PrestationRules,
    day: date,
    now: datetime,
    *,
    calendar: ClosureCalendar | None = None,
) -> Decision:
    """Tell whether a parent can cancel a validated booking of ``day`` at ``now``.

    A :class:`NotAllowed` cancellation goes through a justified absence instead.
    """
    _check_aware(now)
    if day < local_day(now):
        return Decision(False, None, CANCEL_PAST_DAY.format(day=format_day(day)))
    rule = rules.cancellation
    if isinstance(rule, NotAllowed):
        return Decision(False, None, CANCEL_NOT_ALLOWED.format(reason=rule.reason).strip())
    deadline = booking_deadline(rule, day, working_days=calendar)
    assert deadline is not None
    if now < deadline:
        return Decision(True, deadline, CANCEL_OPEN_UNTIL.format(when=_format_instant(deadline)))
    return Decision(False, None, CANCEL_CLOSED.format(when=_format_instant(deadline)))


# --- Wording ----------------------------------------------------------------------------


def describe(rule: BookingRule | CancellationRule | OpeningDate) -> str:
    """Return the French wording of ``rule``, as the règlements in the seeds put it."""
    if isinstance(rule, WeeklyDeadline):
        weekday = WEEKDAY_NAMES[rule.weekday].capitalize()
        hour = _format_hour(rule.time, short=True)
        return f"{weekday} avant {hour} pour la semaine n+{rule.weeks_ahead}"
    if isinstance(rule, DaysBeforeDeadline):
        hour = _format_hour(rule.time, short=False)
        if rule.days == 1:
            text = f"La veille avant {hour} pour le lendemain"
            return f"{text} (jours ouvrés)" if rule.skip_non_working_days else text
        unit = "jours ouvrés" if rule.skip_non_working_days else "jours"
        return f"{rule.days} {unit} avant, avant {hour}"
    if isinstance(rule, NotAllowed):
        return f"Non autorisé {rule.reason}".strip()
    if isinstance(rule, OpeningDate):
        local = rule.instant.astimezone(PARIS)
        text = BOOKING_NOT_OPEN_YET.format(day=format_day(local.date()))
        if local.time() != time(0, 0):
            text += f" à {_format_hour(local.time(), short=False)}"
        return text
    raise TypeError(f"Règle inconnue : {rule!r}")
