"""Closed days: public holidays, school holidays per zone, weekdays, staff closures.

No database: reservations.calendar is pure Python. The school holidays come from the data
shipped in vacances-scolaires-france, read offline.
"""

from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reservations.calendar import (
    CLOSURE,
    CLOSURE_NO_LABEL,
    NO_SERVICE_ON,
    PUBLIC_HOLIDAY,
    SCHOOL_HOLIDAY,
    WEEKEND,
    AgendaDays,
    ClosureCalendar,
    SchoolHolidayPeriod,
    SchoolHolidays,
    SkippedDay,
    WeekParity,
    WorkingDays,
    _french_public_holidays,
    french_public_holiday,
)

LUNDI, MERCREDI, JEUDI = 1, 3, 4
NO_WEDNESDAY = WEEKEND | {MERCREDI}


def test_christmas_is_a_public_holiday():
    for zone in (None, "A", "B", "C"):
        calendar = ClosureCalendar(zone=zone)
        assert not calendar.is_open(date(2025, 12, 25))
        assert calendar.closed_reason(date(2025, 12, 25)) == "Jour férié : Noël"
    assert PUBLIC_HOLIDAY.format(name="Noël") == "Jour férié : Noël"


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "Jour de l'an"),
        (date(2026, 4, 6), "Lundi de Pâques"),
        (date(2026, 5, 1), "Fête du Travail"),
        (date(2026, 5, 8), "Fête de la Victoire"),
        (date(2026, 5, 14), "Ascension"),
        (date(2026, 5, 25), "Lundi de Pentecôte"),
        (date(2026, 7, 14), "Fête nationale"),
        (date(2025, 11, 11), "Armistice"),
        (date(2031, 12, 25), "Noël"),
    ],
)
def test_public_holidays_in_french(day, name):
    assert french_public_holiday(day) == name


def test_ordinary_days_are_not_public_holidays():
    # 26 December and Good Friday are public holidays only in Alsace-Moselle.
    assert french_public_holiday(date(2025, 12, 26)) is None
    assert french_public_holiday(date(2026, 4, 3)) is None


def test_school_holidays_depend_on_the_zone():
    # Winter 2026: zone A 7–22 Feb, zone B 14 Feb–1 Mar, zone C 21 Feb–8 Mar.
    day = date(2026, 3, 3)
    assert ClosureCalendar(zone="C").closed_reason(day) == "Vacances scolaires"
    assert ClosureCalendar(zone="C").closed_reason(day) == SCHOOL_HOLIDAY
    assert ClosureCalendar(zone="A").is_open(day)
    assert ClosureCalendar(zone="B").is_open(day)
    assert not ClosureCalendar(zone="A").is_open(date(2026, 2, 10))
    assert ClosureCalendar(zone="C").is_open(date(2026, 2, 10))
    # Without a zone (an accueil de loisirs), school holidays do not close the service.
    assert ClosureCalendar(zone=None).is_open(day)


def test_school_holiday_period_carries_its_name():
    period = ClosureCalendar(zone="C").school_holiday(date(2025, 12, 22))
    assert period == SchoolHolidayPeriod(
        "C", date(2025, 12, 20), date(2026, 1, 4), "Vacances de Noël"
    )
    assert date(2026, 1, 4) in period
    assert date(2026, 1, 5) not in period


def test_school_holidays_are_read_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the school calendar must not reach the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    _french_public_holidays.cache_clear()
    school = SchoolHolidays.from_package.__wrapped__(SchoolHolidays)
    assert school.period_on(date(2026, 3, 3), "C") is not None
    assert french_public_holiday(date(2026, 12, 25)) == "Noël"


def test_package_data_says_how_far_it_goes():
    school = SchoolHolidays.from_package()
    assert school.covers(date(2027, 11, 2))
    # The span ends with the last published summer holiday; later days are unknown.
    assert school.covers(school.covers_until)
    assert not school.covers(school.covers_until + timedelta(days=1))
    assert school.covers_until.month == 8
    assert not school.covers(date(1989, 12, 31))


def test_school_holidays_from_a_committed_csv():
    school = SchoolHolidays.from_csv(
        [
            "zone,start,end,name",
            "C,2029-02-10,2029-02-25,Vacances d'hiver",
            "Corse,2029-02-17,2029-03-04,Vacances d'hiver",
        ]
    )
    assert school.covers_from == date(2029, 2, 10)
    assert school.covers_until == date(2029, 3, 4)
    calendar = ClosureCalendar(zone="C", school_holidays=school)
    assert calendar.closed_reason(date(2029, 2, 20)) == SCHOOL_HOLIDAY
    assert calendar.is_open(date(2029, 2, 27))
    corse = ClosureCalendar(zone="Corse", school_holidays=school)
    assert corse.closed_reason(date(2029, 2, 27)) == SCHOOL_HOLIDAY
    assert SchoolHolidays.from_csv(["zone,start,end,name"]) == SchoolHolidays()


def test_empty_school_holiday_period_is_rejected():
    with pytest.raises(ValueError):
        SchoolHolidayPeriod("C", date(2026, 2, 2), date(2026, 2, 1))


def test_wednesdays_close_when_configured():
    wednesday = date(2026, 3, 11)
    assert ClosureCalendar(zone="C").is_open(wednesday)
    calendar = ClosureCalendar(zone="C", closed_weekdays=NO_WEDNESDAY)
    assert calendar.closed_reason(wednesday) == "Pas de service le mercredi"
    assert calendar.closed_reason(date(2026, 3, 14)) == NO_SERVICE_ON.format(weekday="samedi")
    assert calendar.closed_reason(date(2026, 3, 15)) == NO_SERVICE_ON.format(weekday="dimanche")
    assert calendar.is_open(date(2026, 3, 12))


def test_staff_closures():
    calendar = ClosureCalendar(
        zone="C",
        closed_weekdays=NO_WEDNESDAY,
        closures={date(2026, 3, 12): "grève", date(2026, 3, 13): "", date(2026, 3, 18): "pont"},
    )
    assert calendar.closed_reason(date(2026, 3, 12)) == "Fermeture : grève"
    assert calendar.closed_reason(date(2026, 3, 12)) == CLOSURE.format(label="grève")
    assert calendar.closed_reason(date(2026, 3, 13)) == CLOSURE_NO_LABEL
    # The most specific reason wins: a staff closure on a Wednesday says so.
    assert calendar.closed_reason(date(2026, 3, 18)) == "Fermeture : pont"


def test_public_holiday_wins_over_school_holiday():
    calendar = ClosureCalendar(zone="C", closures={date(2026, 1, 1): "fermeture annuelle"})
    assert calendar.closed_reason(date(2026, 1, 1)) == "Jour férié : Jour de l'an"
    assert calendar.closed_reason(date(2026, 1, 2)) == SCHOOL_HOLIDAY


def test_caller_given_public_holidays():
    calendar = ClosureCalendar(public_holidays={date(2026, 6, 1): "Fête locale"})
    assert calendar.closed_reason(date(2026, 6, 1)) == "Jour férié : Fête locale"
    assert calendar.is_open(date(2025, 12, 25))
    assert not calendar.is_working_day(date(2026, 6, 1))


def test_invalid_weekdays_are_rejected():
    with pytest.raises(ValueError):
        ClosureCalendar(closed_weekdays=frozenset({0}))
    with pytest.raises(ValueError):
        ClosureCalendar().open_days(date(2026, 1, 1), date(2026, 1, 31), [1, 8])
    with pytest.raises(ValueError):
        ClosureCalendar().open_days(date(2026, 1, 31), date(2026, 1, 1), [1])


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 11, 10), True),  # Monday
        (date(2025, 11, 11), False),  # Armistice, a Tuesday
        (date(2025, 11, 12), True),  # Wednesday: the office works
        (date(2025, 12, 22), True),  # school holidays: the office works
        (date(2025, 11, 15), False),  # Saturday
        (date(2025, 11, 16), False),  # Sunday
    ],
)
def test_working_days(day, working):
    assert WorkingDays().is_working_day(day) is working
    calendar = ClosureCalendar(zone="C", closed_weekdays=NO_WEDNESDAY)
    assert calendar.is_working_day(day) is working


# --- Vue Agenda -------------------------------------------------------------------------


def test_open_days_of_the_seed_example():
    # Seed 004: « tous les lundis et jeudis entre le 01/12/2017 et le 31/12/2017 (les jours de
    # vacances scolaires et mercredis ne seront pas réservés) »; Vaucluse is in zone B.
    calendar = ClosureCalendar(zone="B", closed_weekdays=NO_WEDNESDAY)
    agenda = calendar.open_days(date(2017, 12, 1), date(2017, 12, 31), [LUNDI, JEUDI])
    assert agenda.added == (
        date(2017, 12, 4),
        date(2017, 12, 7),
        date(2017, 12, 11),
        date(2017, 12, 14),
        date(2017, 12, 18),
        date(2017, 12, 21),
    )
    assert agenda.skipped == (
        SkippedDay(date(2017, 12, 25), "Jour férié : Noël"),
        SkippedDay(date(2017, 12, 28), "Vacances scolaires"),
    )


def test_open_days_skips_holidays_and_closures_with_reasons():
    calendar = ClosureCalendar(
        zone="C", closed_weekdays=NO_WEDNESDAY, closures={date(2026, 5, 21): "sortie scolaire"}
    )
    added, skipped = calendar.open_days(date(2026, 4, 27), date(2026, 5, 31), [LUNDI, JEUDI])
    assert added == (
        date(2026, 5, 4),
        date(2026, 5, 7),
        date(2026, 5, 11),
        date(2026, 5, 18),
        date(2026, 5, 28),
    )
    assert skipped == (
        (date(2026, 4, 27), "Vacances scolaires"),
        (date(2026, 4, 30), "Vacances scolaires"),
        (date(2026, 5, 14), "Jour férié : Ascension"),
        (date(2026, 5, 21), "Fermeture : sortie scolaire"),
        (date(2026, 5, 25), "Jour férié : Lundi de Pentecôte"),
    )


def test_open_days_reports_closed_weekdays_asked_for():
    calendar = ClosureCalendar(closed_weekdays=NO_WEDNESDAY)
    agenda = calendar.open_days(date(2026, 3, 9), date(2026, 3, 15), [MERCREDI, JEUDI])
    assert agenda == AgendaDays(
        added=(date(2026, 3, 12),),
        skipped=(SkippedDay(date(2026, 3, 11), "Pas de service le mercredi"),),
    )


def test_open_days_even_and_odd_weeks():
    calendar = ClosureCalendar()
    start, end = date(2026, 1, 5), date(2026, 1, 30)  # Mondays in ISO weeks 2, 3, 4, 5
    every = calendar.open_days(start, end, [LUNDI]).added
    even = calendar.open_days(start, end, [LUNDI], WeekParity.EVEN).added
    odd = calendar.open_days(start, end, [LUNDI], "odd").added
    assert every == (date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26))
    assert even == (date(2026, 1, 5), date(2026, 1, 19))
    assert odd == (date(2026, 1, 12), date(2026, 1, 26))


def test_week_53_is_odd_like_the_week_after_it():
    calendar = ClosureCalendar()
    start, end = date(2026, 12, 21), date(2027, 1, 10)  # ISO weeks 52, 53, then 1 of 2027
    odd = calendar.open_days(start, end, [LUNDI], WeekParity.ODD).added
    even = calendar.open_days(start, end, [LUNDI], WeekParity.EVEN).added
    assert odd == (date(2026, 12, 28), date(2027, 1, 4))
    assert even == (date(2026, 12, 21),)


def test_open_days_rejects_an_unknown_parity():
    with pytest.raises(ValueError):
        ClosureCalendar().open_days(date(2026, 1, 5), date(2026, 1, 30), [LUNDI], "paire")


CALENDAR_DAYS = st.dates(min_value=date(1995, 1, 1), max_value=date(2028, 8, 31))


@settings(max_examples=200, deadline=None)
@given(
    start=CALENDAR_DAYS,
    length=st.integers(0, 70),
    weekdays=st.sets(st.integers(1, 7), min_size=1),
    parity=st.sampled_from([None, WeekParity.EVEN, WeekParity.ODD]),
    zone=st.sampled_from([None, "A", "B", "C"]),
    wednesday_closed=st.booleans(),
)
def test_open_days_partitions_the_matching_days(
    start, length, weekdays, parity, zone, wednesday_closed
):
    calendar = ClosureCalendar(
        zone=zone, closed_weekdays=NO_WEDNESDAY if wednesday_closed else WEEKEND
    )
    end = start + timedelta(days=length)
    added, skipped = calendar.open_days(start, end, weekdays, parity)
    matching = [
        start + timedelta(days=n)
        for n in range(length + 1)
        if (start + timedelta(days=n)).isoweekday() in weekdays
        and (
            parity is None
            or (start + timedelta(days=n)).isocalendar().week % 2
            == (0 if parity is WeekParity.EVEN else 1)
        )
    ]
    assert sorted([*added, *(s.day for s in skipped)]) == matching
    assert all(calendar.is_open(day) for day in added)
    assert all(calendar.closed_reason(day) == reason for day, reason in skipped)
    assert all(reason for _, reason in skipped)
