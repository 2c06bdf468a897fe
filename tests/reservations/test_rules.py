"""Booking and cancellation deadlines: explicit UTC instants, then properties over any date.

No database: reservations.rules is pure Python.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reservations.calendar import WEEKEND, ClosureCalendar, WorkingDays
from reservations.rules import (
    BOOKING_CLOSED,
    BOOKING_NOT_ALLOWED,
    BOOKING_NOT_OPEN_YET,
    BOOKING_OPEN_UNTIL,
    BOOKING_PAST_DAY,
    CANCEL_CLOSED,
    CANCEL_NOT_ALLOWED,
    CANCEL_OPEN_UNTIL,
    CANCEL_PAST_DAY,
    FRENCH_WORKING_DAYS,
    PARIS,
    DaysBeforeDeadline,
    NotAllowed,
    OpeningDate,
    PrestationRules,
    WeeklyDeadline,
    booking_deadline,
    can_book,
    can_cancel,
    describe,
    local_day,
)

MARDI, MERCREDI = 2, 3
TUESDAY_NOON = WeeklyDeadline(weekday=MARDI, time=time(12, 0), weeks_ahead=1)
VEILLE_17H = DaysBeforeDeadline(days=1, time=time(17, 0), skip_non_working_days=True)
VEILLE_17H_CALENDAR_DAYS = DaysBeforeDeadline(days=1, time=time(17, 0), skip_non_working_days=False)
CANTINE = PrestationRules(booking=TUESDAY_NOON, cancellation=NotAllowed())
GARDERIE = PrestationRules(booking=VEILLE_17H, cancellation=VEILLE_17H)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


# --- Table: « Mardi avant 12h pour la semaine n+1 » -------------------------------------

WEEKLY_CASES = [
    # (rule, day booked, expected deadline in UTC, why)
    (TUESDAY_NOON, date(2025, 1, 20), utc(2025, 1, 14, 11), "winter: 12:00 CET = 11:00Z"),
    (TUESDAY_NOON, date(2025, 1, 24), utc(2025, 1, 14, 11), "every day of the week alike"),
    (TUESDAY_NOON, date(2025, 6, 16), utc(2025, 6, 10, 10), "summer: 12:00 CEST = 10:00Z"),
    # Last Sunday of March 2025 is the 30th: the week before is CET, the one after CEST.
    (TUESDAY_NOON, date(2025, 4, 4), utc(2025, 3, 25, 11), "before spring DST change"),
    (TUESDAY_NOON, date(2025, 4, 7), utc(2025, 4, 1, 10), "after spring DST change"),
    # Last Sunday of October 2025 is the 26th.
    (TUESDAY_NOON, date(2025, 10, 31), utc(2025, 10, 21, 10), "before autumn DST change"),
    (TUESDAY_NOON, date(2025, 11, 3), utc(2025, 10, 28, 11), "after autumn DST change"),
    # Year ends: ISO week 1 of 2026 starts on Monday 2025-12-29.
    (TUESDAY_NOON, date(2026, 1, 5), utc(2025, 12, 30, 11), "deadline in the previous year"),
    (TUESDAY_NOON, date(2025, 12, 29), utc(2025, 12, 23, 11), "ISO week 1 begins in December"),
    (TUESDAY_NOON, date(2026, 1, 1), utc(2025, 12, 23, 11), "1 January sits in ISO week 1"),
    # 2026 has an ISO week 53: 2026-12-28 .. 2027-01-03.
    (TUESDAY_NOON, date(2026, 12, 28), utc(2026, 12, 22, 11), "Monday of week 53"),
    (TUESDAY_NOON, date(2027, 1, 1), utc(2026, 12, 22, 11), "Friday of week 53, next year"),
    (TUESDAY_NOON, date(2027, 1, 4), utc(2026, 12, 29, 11), "week 1 of 2027: Tuesday of W53"),
    # A public holiday does not move a weekly deadline (2025-11-11 is a Tuesday).
    (TUESDAY_NOON, date(2025, 11, 17), utc(2025, 11, 11, 11), "deadline on a public holiday"),
    (
        WeeklyDeadline(weekday=MARDI, time=time(12, 0), weeks_ahead=2),
        date(2025, 1, 20),
        utc(2025, 1, 7, 11),
        "semaine n+2",
    ),
    (
        WeeklyDeadline(weekday=5, time=time(9, 30), weeks_ahead=1),
        date(2025, 7, 7),
        utc(2025, 7, 4, 7, 30),
        "vendredi avant 9h30",
    ),
]


@pytest.mark.parametrize(
    ("rule", "day", "expected", "why"), WEEKLY_CASES, ids=[c[3] for c in WEEKLY_CASES]
)
def test_weekly_deadline(rule, day, expected, why):
    deadline = booking_deadline(rule, day)
    assert deadline == expected
    assert deadline.tzinfo is UTC


# --- Table: « La veille avant 17h00 pour le lendemain » ---------------------------------

DAYS_BEFORE_CASES = [
    (VEILLE_17H, date(2025, 1, 21), utc(2025, 1, 20, 16), "Tuesday: Monday 17:00 CET"),
    (VEILLE_17H, date(2025, 1, 20), utc(2025, 1, 17, 16), "Monday: the Friday before"),
    (VEILLE_17H, date(2025, 1, 23), utc(2025, 1, 22, 16), "Thursday: Wednesday is working"),
    (VEILLE_17H, date(2025, 6, 17), utc(2025, 6, 16, 15), "summer: 17:00 CEST = 15:00Z"),
    # Public holidays are skipped.
    (VEILLE_17H, date(2026, 4, 7), utc(2026, 4, 3, 15), "after Easter Monday: Friday"),
    (VEILLE_17H, date(2026, 5, 1), utc(2026, 4, 30, 15), "1 May (a Friday): Thursday"),
    (VEILLE_17H, date(2026, 5, 4), utc(2026, 4, 30, 15), "Monday after 1 May: Thursday"),
    (VEILLE_17H, date(2026, 5, 11), utc(2026, 5, 7, 15), "Monday after 8 May: Thursday"),
    (VEILLE_17H, date(2026, 5, 15), utc(2026, 5, 13, 15), "Friday after Ascension"),
    (VEILLE_17H, date(2025, 11, 12), utc(2025, 11, 10, 16), "after 11 November: Monday"),
    (VEILLE_17H, date(2025, 11, 11), utc(2025, 11, 10, 16), "11 November itself"),
    (VEILLE_17H, date(2026, 1, 2), utc(2025, 12, 31, 16), "after 1 January, year before"),
    (VEILLE_17H, date(2025, 12, 29), utc(2025, 12, 26, 16), "26 December works (métropole)"),
    # Both DST changes, counted in working days and in calendar days.
    (VEILLE_17H, date(2025, 3, 31), utc(2025, 3, 28, 16), "Monday after spring change"),
    (VEILLE_17H, date(2025, 10, 27), utc(2025, 10, 24, 15), "Monday after autumn change"),
    (VEILLE_17H_CALENDAR_DAYS, date(2025, 3, 31), utc(2025, 3, 30, 15), "spring Sunday"),
    (VEILLE_17H_CALENDAR_DAYS, date(2025, 10, 27), utc(2025, 10, 26, 16), "autumn Sunday"),
    (VEILLE_17H_CALENDAR_DAYS, date(2025, 1, 20), utc(2025, 1, 19, 16), "Monday: Sunday"),
    (VEILLE_17H_CALENDAR_DAYS, date(2026, 1, 1), utc(2025, 12, 31, 16), "year end"),
    (
        DaysBeforeDeadline(days=2, time=time(17, 0), skip_non_working_days=True),
        date(2025, 1, 20),
        utc(2025, 1, 16, 16),
        "two working days before a Monday: Thursday",
    ),
    (
        DaysBeforeDeadline(days=3, time=time(10, 0), skip_non_working_days=True),
        date(2026, 5, 11),
        utc(2026, 5, 5, 8),
        "three working days over 8 May and a weekend",
    ),
    # Local times the clock skips or repeats resolve as PEP 495 fold=0 does.
    (
        DaysBeforeDeadline(days=1, time=time(2, 30), skip_non_working_days=False),
        date(2025, 3, 31),
        utc(2025, 3, 30, 1, 30),
        "02:30 does not exist on 2025-03-30: 03:30 CEST",
    ),
    (
        DaysBeforeDeadline(days=1, time=time(2, 30), skip_non_working_days=False),
        date(2025, 10, 27),
        utc(2025, 10, 26, 0, 30),
        "02:30 happens twice on 2025-10-26: the first one",
    ),
]


@pytest.mark.parametrize(
    ("rule", "day", "expected", "why"), DAYS_BEFORE_CASES, ids=[c[3] for c in DAYS_BEFORE_CASES]
)
def test_days_before_deadline(rule, day, expected, why):
    deadline = booking_deadline(rule, day)
    assert deadline == expected
    assert deadline.tzinfo is UTC


def test_days_before_follows_the_calendar_public_holidays():
    # In Moselle, 26 December is a public holiday: the veille of Monday 29th is the 24th.
    moselle = ClosureCalendar(public_holidays=holidays.France(subdiv="57", language="fr"))
    assert booking_deadline(VEILLE_17H, date(2025, 12, 29), working_days=moselle) == utc(
        2025, 12, 24, 16
    )
    assert booking_deadline(VEILLE_17H, date(2025, 12, 29)) == utc(2025, 12, 26, 16)


def test_not_allowed_has_no_deadline():
    assert booking_deadline(NotAllowed(), date(2025, 1, 20)) is None


# --- can_book / can_cancel --------------------------------------------------------------


def test_booking_is_open_until_the_deadline_exclusive():
    day = date(2025, 1, 20)
    just_before = paris(2025, 1, 14, 11, 59, 59)
    decision = can_book(CANTINE, day, just_before)
    assert decision.allowed
    assert decision.until == utc(2025, 1, 14, 11)
    assert decision.reason == BOOKING_OPEN_UNTIL.format(when="mardi 14/01/2025 à 12h00")

    decision = can_book(CANTINE, day, paris(2025, 1, 14, 12))
    assert not decision.allowed
    assert decision.until is None
    assert decision.reason == "Réservation close depuis le mardi 14/01/2025 à 12h00"
    assert decision.reason == BOOKING_CLOSED.format(when="mardi 14/01/2025 à 12h00")


def test_booking_decision_reads_the_same_instant_in_any_timezone():
    day = date(2025, 7, 7)
    # 12:00 CEST on Tuesday 2025-07-01 is 10:00Z and 06:00 in New York.
    assert not can_book(CANTINE, day, utc(2025, 7, 1, 10)).allowed
    assert can_book(CANTINE, day, utc(2025, 7, 1, 9, 59)).allowed
    new_york = datetime(2025, 7, 1, 5, 59, tzinfo=ZoneInfo("America/New_York"))
    assert can_book(CANTINE, day, new_york).allowed


def test_past_days_are_never_bookable():
    now = paris(2025, 1, 14, 8)
    decision = can_book(CANTINE, date(2025, 1, 13), now)
    assert not decision.allowed
    assert decision.reason == BOOKING_PAST_DAY.format(day="13/01/2025")
    # Today is closed too: every deadline is before the day starts.
    assert not can_book(GARDERIE, date(2025, 1, 14), now).allowed


def test_past_is_judged_on_the_paris_day():
    # 23:30Z on 13 January is already 14 January in Paris.
    now = utc(2025, 1, 13, 23, 30)
    assert local_day(now) == date(2025, 1, 14)
    assert can_book(GARDERIE, date(2025, 1, 13), now).reason == BOOKING_PAST_DAY.format(
        day="13/01/2025"
    )


def test_opening_date_holds_bookings_until_local_midnight():
    rules = PrestationRules(TUESDAY_NOON, NotAllowed(), opening=OpeningDate(date(2025, 9, 1)))
    day = date(2025, 9, 15)
    decision = can_book(rules, day, paris(2025, 8, 31, 23, 59))
    assert not decision.allowed
    assert decision.reason == "Réservations ouvertes à partir du 01/09/2025"
    assert decision.reason == BOOKING_NOT_OPEN_YET.format(day="01/09/2025")
    assert can_book(rules, day, paris(2025, 9, 1, 0, 0)).allowed
    assert rules.opening.instant == utc(2025, 8, 31, 22)


def test_opening_at_an_instant():
    opening = OpeningDate(paris(2025, 9, 1, 18, 0))
    rules = PrestationRules(VEILLE_17H, VEILLE_17H, opening=opening)
    assert not can_book(rules, date(2025, 9, 10), paris(2025, 9, 1, 17, 59)).allowed
    assert can_book(rules, date(2025, 9, 10), paris(2025, 9, 1, 18, 0)).allowed
    assert describe(opening) == "Réservations ouvertes à partir du 01/09/2025 à 18h00"


def test_booking_not_allowed():
    rules = PrestationRules(NotAllowed("par le portail"), NotAllowed())
    decision = can_book(rules, date(2025, 9, 10), paris(2025, 9, 1))
    assert not decision.allowed
    assert decision.reason == BOOKING_NOT_ALLOWED.format(reason="par le portail")


def test_closed_day_is_refused_with_the_calendar_reason():
    calendar = ClosureCalendar(closed_weekdays=WEEKEND | {MERCREDI})
    now = paris(2025, 12, 1, 8)
    assert can_book(GARDERIE, date(2025, 12, 25), now, calendar=calendar).reason == (
        "Jour férié : Noël"
    )
    assert can_book(GARDERIE, date(2025, 12, 10), now, calendar=calendar).reason == (
        "Pas de service le mercredi"
    )
    assert can_book(GARDERIE, date(2025, 12, 11), now, calendar=calendar).allowed


def test_cancellation_not_allowed_without_justified_absence():
    decision = can_cancel(CANTINE, date(2025, 9, 10), paris(2025, 9, 1))
    assert not decision.allowed
    assert decision.reason == "Annulation non autorisée sans absence justifiée"
    assert decision.reason == CANCEL_NOT_ALLOWED.format(reason=NotAllowed().reason)


def test_cancellation_follows_its_deadline():
    day = date(2025, 1, 20)  # a Monday: the veille is Friday the 17th, 17:00
    decision = can_cancel(GARDERIE, day, paris(2025, 1, 17, 16, 59))
    assert decision.allowed
    assert decision.until == utc(2025, 1, 17, 16)
    assert decision.reason == CANCEL_OPEN_UNTIL.format(when="vendredi 17/01/2025 à 17h00")
    decision = can_cancel(GARDERIE, day, paris(2025, 1, 17, 17))
    assert not decision.allowed
    assert decision.reason == CANCEL_CLOSED.format(when="vendredi 17/01/2025 à 17h00")
    decision = can_cancel(GARDERIE, date(2025, 1, 16), paris(2025, 1, 17, 8))
    assert decision.reason == CANCEL_PAST_DAY.format(day="16/01/2025")


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        can_book(CANTINE, date(2025, 1, 20), datetime(2025, 1, 14, 8))


# --- Rules as data ----------------------------------------------------------------------


def test_describe_uses_the_seed_wording():
    assert describe(TUESDAY_NOON) == "Mardi avant 12h pour la semaine n+1"
    assert describe(VEILLE_17H_CALENDAR_DAYS) == "La veille avant 17h00 pour le lendemain"
    assert describe(VEILLE_17H) == "La veille avant 17h00 pour le lendemain (jours ouvrés)"
    assert describe(NotAllowed()) == "Non autorisé sans absence justifiée"
    assert describe(OpeningDate(date(2025, 9, 1))) == "Réservations ouvertes à partir du 01/09/2025"
    assert (
        describe(WeeklyDeadline(weekday=4, time=time(9, 30), weeks_ahead=2))
        == "Jeudi avant 9h30 pour la semaine n+2"
    )
    assert (
        describe(DaysBeforeDeadline(days=2, time=time(17, 0), skip_non_working_days=True))
        == "2 jours ouvrés avant, avant 17h00"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: WeeklyDeadline(weekday=0, time=time(12)),
        lambda: WeeklyDeadline(weekday=8, time=time(12)),
        lambda: WeeklyDeadline(weekday=2, time=time(12), weeks_ahead=0),
        lambda: WeeklyDeadline(weekday=2, time=time(12, tzinfo=UTC)),
        lambda: DaysBeforeDeadline(days=0, time=time(17)),
        lambda: OpeningDate(datetime(2025, 9, 1)),
    ],
)
def test_invalid_rules_are_rejected(build):
    with pytest.raises(ValueError):
        build()


def test_rules_are_frozen_and_comparable():
    assert WeeklyDeadline(2, time(12), 1) == TUESDAY_NOON
    with pytest.raises(AttributeError):
        TUESDAY_NOON.weekday = 3


# --- Properties -------------------------------------------------------------------------

DAYS = st.dates(min_value=date(1995, 1, 1), max_value=date(2045, 12, 31))
# 02:00–03:00 is skipped once a year; the table above pins that case.
LOCAL_TIMES = st.builds(
    time,
    hour=st.integers(0, 23).filter(lambda h: h != 2),
    minute=st.sampled_from([0, 15, 30, 45, 59]),
)
WEEKLY_RULES = st.builds(
    WeeklyDeadline, weekday=st.integers(1, 7), time=LOCAL_TIMES, weeks_ahead=st.integers(1, 3)
)
DAYS_BEFORE_RULES = st.builds(
    DaysBeforeDeadline,
    days=st.integers(1, 5),
    time=LOCAL_TIMES,
    skip_non_working_days=st.booleans(),
)
RULES = st.one_of(WEEKLY_RULES, DAYS_BEFORE_RULES)
OPENINGS = st.one_of(st.none(), st.builds(OpeningDate, DAYS))
# Either any instant, or one close to the deadline where off-by-one errors live.
NOW_SHIFTS = st.one_of(
    st.datetimes(
        min_value=datetime(1995, 1, 1),
        max_value=datetime(2045, 12, 31),
        timezones=st.just(UTC),
    ),
    st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(days=10)),
    st.sampled_from([timedelta(0), timedelta(microseconds=-1), timedelta(microseconds=1)]),
)
PROPERTIES = settings(max_examples=200, deadline=None)


def _now(shift, deadline: datetime) -> datetime:
    return shift if isinstance(shift, datetime) else deadline + shift


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=PARIS)


@PROPERTIES
@given(rule=RULES, day=DAYS, shift=NOW_SHIFTS, opening=OPENINGS)
def test_can_book_iff_before_deadline_and_opening(rule, day, shift, opening):
    deadline = booking_deadline(rule, day)
    now = _now(shift, deadline)
    rules = PrestationRules(booking=rule, cancellation=NotAllowed(), opening=opening)
    expected = (
        now < deadline
        and day >= now.astimezone(PARIS).date()
        and (opening is None or now >= opening.instant)
    )
    decision = can_book(rules, day, now)
    assert decision.allowed is expected
    assert decision.until == (deadline if expected else None)


@PROPERTIES
@given(rule=RULES, day=DAYS, shift=NOW_SHIFTS)
def test_can_cancel_iff_before_deadline(rule, day, shift):
    deadline = booking_deadline(rule, day)
    now = _now(shift, deadline)
    assert can_cancel(PrestationRules(rule, rule), day, now).allowed is (now < deadline)
    assert not can_cancel(PrestationRules(rule, NotAllowed()), day, now).allowed


@PROPERTIES
@given(rule=RULES, day=DAYS)
def test_deadline_is_before_the_day_starts_at_the_rule_local_time(rule, day):
    deadline = booking_deadline(rule, day)
    assert deadline.utcoffset() == timedelta(0)
    assert deadline < _local_midnight(day)
    local = deadline.astimezone(PARIS)
    assert local.time() == rule.time


@PROPERTIES
@given(rule=WEEKLY_RULES, day=DAYS)
def test_weekly_deadline_is_the_weekday_of_the_week_n_minus_weeks_ahead(rule, day):
    local = booking_deadline(rule, day).astimezone(PARIS).date()
    assert local.isoweekday() == rule.weekday
    monday = day - timedelta(days=day.isoweekday() - 1)
    assert local - timedelta(days=local.isoweekday() - 1) == monday - timedelta(
        weeks=rule.weeks_ahead
    )


@PROPERTIES
@given(
    rule=DAYS_BEFORE_RULES.filter(lambda r: r.skip_non_working_days),
    day=DAYS,
)
def test_working_days_deadline_lands_on_the_nth_working_day_before(rule, day):
    local = booking_deadline(rule, day).astimezone(PARIS).date()
    assert FRENCH_WORKING_DAYS.is_working_day(local)
    between = [
        local + timedelta(days=n)
        for n in range(1, (day - local).days)
        if FRENCH_WORKING_DAYS.is_working_day(local + timedelta(days=n))
    ]
    assert len(between) == rule.days - 1


@PROPERTIES
@given(rule=RULES, day=DAYS, later=st.integers(0, 60))
def test_a_later_day_never_has_an_earlier_deadline(rule, day, later):
    assert booking_deadline(rule, day) <= booking_deadline(rule, day + timedelta(days=later))


@PROPERTIES
@given(rule=DAYS_BEFORE_RULES, day=DAYS)
def test_working_days_come_from_the_calendar_given(rule, day):
    # A ClosureCalendar, with its Wednesdays and school holidays, counts the same working
    # days as WorkingDays: only weekends and public holidays are skipped.
    calendar = ClosureCalendar(zone="C", closed_weekdays=WEEKEND | {MERCREDI})
    assert booking_deadline(rule, day, working_days=calendar) == booking_deadline(
        rule, day, working_days=WorkingDays()
    )
