"""Whether a line can be booked now: the pure rules (reservations.rules) fed from the models.

This is the only place that turns model rows into rule dataclasses and closure calendars, so
the grid, the cart and the validation judge a cell the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection

from reservations import horizon as horizon_
from reservations import rules
from reservations.calendar import WEEKEND, ClosureCalendar
from reservations.exceptions import FULL, NOT_RUNNING
from reservations.models import BookingRuleKind, CancellationRuleKind, Prestation

__all__ = [
    "FULL",
    "NOT_RUNNING",
    "StaffCheck",
    "booking_horizon",
    "booking_refusal",
    "booking_refusals",
    "prestation_rules",
    "staff_check",
]
ALL_WEEKDAYS = frozenset(range(1, 8))


def prestation_rules(prestation: Prestation) -> rules.PrestationRules:
    """Return the booking, cancellation and opening rules of ``prestation`` as data."""
    if prestation.booking_rule == BookingRuleKind.WEEKLY:
        booking = rules.WeeklyDeadline(
            weekday=prestation.rule_weekday,
            time=prestation.rule_time,
            weeks_ahead=prestation.rule_weeks_ahead,
        )
    else:
        booking = rules.DaysBeforeDeadline(
            days=prestation.rule_days_before,
            time=prestation.rule_time,
            skip_non_working_days=prestation.rule_skip_non_working_days,
        )
    cancellation = (
        rules.NotAllowed()
        if prestation.cancellation_rule == CancellationRuleKind.NOT_ALLOWED
        else booking
    )
    opening = rules.OpeningDate(prestation.opening_date) if prestation.opening_date else None
    return rules.PrestationRules(booking=booking, cancellation=cancellation, opening=opening)


# The closures of some services meeting a span of days; one row per prestation closed (none:
# the whole service). "end" is quoted: a reserved word.
CLOSURES_SQL = """
    SELECT c.service_id, cp.prestation_id, c.start, c."end", c.reason
    FROM reservations_closure c
    LEFT JOIN reservations_closure_prestations cp ON cp.closure_id = c.id
    WHERE c.service_id = ANY(%s) AND c.start <= %s AND c."end" >= %s
"""


def closures_for(prestations: Iterable[Prestation], days: Iterable[date]) -> dict:
    """Return {prestation id: {day: label}} of staff closures on ``days``, in one query."""
    prestations = list(prestations)
    days = set(days)
    by_service = defaultdict(list)
    for prestation in prestations:
        by_service[prestation.service_id].append(prestation.pk)
    result: dict[int, dict[date, str]] = {p.pk: {} for p in prestations}
    if not days or not prestations:
        return result
    with connection.cursor() as cursor:  # raw: run by every cart validation (bench cart_race)
        cursor.execute(CLOSURES_SQL, [list(by_service), max(days), min(days)])
        rows = cursor.fetchall()
    for service_id, prestation_id, start, end, reason in rows:
        targets = [prestation_id] if prestation_id else by_service[service_id]
        closed = [day for day in days if start <= day <= end]
        for target in targets:
            if target in result:
                result[target].update(dict.fromkeys(closed, reason))
    return result


def closure_calendar(prestation: Prestation, closures: dict[date, str]) -> ClosureCalendar:
    """Return the calendar of the days ``prestation`` runs (no query)."""
    tenant = connection.tenant
    zone = tenant.holiday_zone if prestation.service.closed_during_school_holidays else None
    return ClosureCalendar(
        zone=zone,
        closed_weekdays=(ALL_WEEKDAYS - set(prestation.weekdays)) | WEEKEND,
        closures=closures,
    )


def booking_horizon(now: datetime) -> horizon_.BookingHorizon:
    """Return the days families may book at ``now`` (horizon.booking_horizon; no query)."""
    return horizon_.booking_horizon(rules.local_day(now))


def refusal(
    *,
    prestation: Prestation,
    day: date,
    now: datetime,
    closures: dict[date, str],
    calendar: ClosureCalendar | None = None,
    prestation_rules_: rules.PrestationRules | None = None,
    horizon: horizon_.BookingHorizon | None = None,
) -> str | None:
    """Return why ``prestation`` cannot be booked on ``day`` at ``now`` (None: it can).

    Pure given its arguments: call it per grid cell, passing the prestation's ``calendar``,
    ``prestation_rules_`` and the ``horizon`` when judging many days of it. Every booking
    by a family (a cell, the cart, the Vue Agenda, the waiting list, « Valider ») is judged
    here, so none lands past the horizon.
    """
    if day.isoweekday() not in prestation.weekdays:
        return NOT_RUNNING
    decision = rules.can_book(
        prestation_rules_ or prestation_rules(prestation),
        day,
        now,
        calendar=calendar or closure_calendar(prestation, closures),
        horizon=horizon or booking_horizon(now),
    )
    return None if decision.allowed else decision.reason


def booking_refusal(*, prestation: Prestation, day: date, now: datetime) -> str | None:
    """Return why one prestation-day cannot be booked at ``now`` (one closure query)."""
    closures = closures_for([prestation], [day])[prestation.pk]
    return refusal(prestation=prestation, day=day, now=now, closures=closures)


def booking_refusals(*, lines, now: datetime) -> dict[int, str]:
    """Return {booking id: reason} for the cart lines that cannot be booked at ``now``."""
    lines = list(lines)
    prestations = {line.prestation_id: line.prestation for line in lines}
    closures = closures_for(prestations.values(), {line.day for line in lines})
    horizon = booking_horizon(now)
    refusals = {}
    for line in lines:
        reason = refusal(
            prestation=line.prestation,
            day=line.day,
            now=now,
            closures=closures[line.prestation_id],
            horizon=horizon,
        )
        if reason:
            refusals[line.pk] = reason
    return refusals


@dataclass(frozen=True)
class StaffCheck:
    """What stands against staff booking a prestation-day.

    ``closed``: the day has no service (closure, holiday, weekday it does not run) or lies
    past the booking horizon (its school holidays unknown): never overridden. ``deadline``:
    the parents' deadline (or opening date, or a past day) is passed: staff may override
    it, explicitly and with a motive.
    """

    closed: str | None = None
    deadline: str | None = None


def staff_check(*, prestation: Prestation, day: date, now: datetime) -> StaffCheck:
    """Judge a booking typed by staff by the parents' rules (one closure query)."""
    if day.isoweekday() not in prestation.weekdays:
        return StaffCheck(closed=NOT_RUNNING)
    horizon = booking_horizon(now)
    if not horizon.allows(day):
        return StaffCheck(closed=horizon.refusal)
    calendar = closure_calendar(prestation, closures_for([prestation], [day])[prestation.pk])
    closed = calendar.closed_reason(day)
    if closed is not None:
        return StaffCheck(closed=closed)
    decision = rules.can_book(prestation_rules(prestation), day, now, calendar=calendar)
    return StaffCheck(deadline=None if decision.allowed else decision.reason)


def cancellation_refusal(*, prestation: Prestation, day: date, now: datetime) -> str | None:
    """Return why a booking of ``prestation`` on ``day`` cannot be cancelled at ``now``."""
    decision = rules.can_cancel(prestation_rules(prestation), day, now)
    return None if decision.allowed else decision.reason
