"""The tariff engine against seed 000's table (Valdurenque), its QF boundaries, and properties."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing import rules
from billing.rules import Attendance, Basis, Bracket, Tariff

D = Decimal
START = date(2026, 9, 1)
# Seed 000: « De 0 à 499 0.60 €uros, De 500 et 1000 0.65 €uros, A partir de 1001 0.80 €uros ».
QF_BRACKETS = (
    Bracket(0, 499, D("0.60")),
    Bracket(500, 1000, D("0.65")),
    Bracket(1001, None, D("0.80")),
)
CANTINE = Tariff(
    basis=Basis.UNIT,
    valid_from=START,
    price=D("3.60"),
    unbooked_price=D("5.40"),
    unjustified_absence_price=D("5.40"),
    label="CANTINE",
)
GARDERIE = Tariff(basis=Basis.HOUR, valid_from=START, brackets=QF_BRACKETS, label="GARDERIE")
MATIN = rules.hours_between(time(7, 30), time(8, 30))
SOIR_T1 = rules.hours_between(time(16, 30), time(17, 30))
SOIR_T2 = rules.hours_between(time(16, 30), time(18, 30))


def test_hours_of_the_seed_slots():
    assert (D(1), D(1), D(2)) == (MATIN, SOIR_T1, SOIR_T2)
    assert rules.hours_between(time(16, 30), time(18)) == D("1.5")


@pytest.mark.parametrize(
    ("booked", "attendance", "expected"),
    [
        (True, None, ("CANTINE", D("3.60"))),
        (True, Attendance.PRESENT, ("CANTINE", D("3.60"))),
        (True, Attendance.ABSENT_UNJUSTIFIED, ("CANTINE (absence non justifiée)", D("5.40"))),
        (True, Attendance.ABSENT_JUSTIFIED, None),
        (False, Attendance.PRESENT, ("CANTINE (non prévu)", D("5.40"))),
        (False, Attendance.ABSENT_UNJUSTIFIED, None),
        (False, Attendance.ABSENT_JUSTIFIED, None),
        (False, None, None),
    ],
)
def test_cantine_of_seed_000(booked, attendance, expected):
    line = rules.price_day(CANTINE, qf=700, booked=booked, attendance=attendance)
    assert (line and (line.label, line.amount)) == expected


@pytest.mark.parametrize(
    ("qf", "hours", "unit", "amount"),
    [
        (0, MATIN, "0.60", "0.60"),
        (499, MATIN, "0.60", "0.60"),
        (500, MATIN, "0.65", "0.65"),
        (1000, SOIR_T1, "0.65", "0.65"),
        (1001, SOIR_T1, "0.80", "0.80"),
        (None, SOIR_T1, "0.80", "0.80"),
        (499, SOIR_T2, "0.60", "1.20"),
        (500, SOIR_T2, "0.65", "1.30"),
        (1000, SOIR_T2, "0.65", "1.30"),
        (1001, SOIR_T2, "0.80", "1.60"),
        (None, SOIR_T2, "0.80", "1.60"),
        (5000, SOIR_T2, "0.80", "1.60"),
    ],
)
def test_garderie_hourly_by_qf_bracket(qf, hours, unit, amount):
    line = rules.price_day(GARDERIE, qf=qf, booked=True, attendance=None, hours=hours)
    assert (line.quantity, line.unit_price, line.amount) == (hours, D(unit), D(amount))


def test_garderie_absences_and_unbooked_use_the_normal_price_when_none_is_set():
    unjustified = rules.price_day(
        GARDERIE, qf=600, booked=True, attendance=Attendance.ABSENT_UNJUSTIFIED, hours=SOIR_T2
    )
    unbooked = rules.price_day(
        GARDERIE, qf=600, booked=False, attendance=Attendance.PRESENT, hours=SOIR_T2
    )
    assert unjustified.amount == unbooked.amount == D("1.30")
    assert unbooked.label == "GARDERIE (non prévu)"


def test_an_hourly_tariff_without_hours_is_an_error():
    with pytest.raises(rules.TariffError) as error:
        rules.price_day(GARDERIE, qf=1, booked=True, attendance=None)
    assert error.value.message == rules.HOURS_NEEDED
    with pytest.raises(rules.TariffError):
        rules.hours_between(time(18), time(17))


EFFORT = Tariff(
    basis=Basis.HOUR,
    valid_from=START,
    effort_rate=D("0.0012"),
    effort_min=D("0.50"),
    effort_max=D("2.00"),
)


@pytest.mark.parametrize(
    ("qf", "unit"),
    [
        (0, "0.50"),  # 0 € clamped up to the minimum
        (416, "0.50"),  # 0,4992 € clamped up
        (417, "0.5004"),
        (734, "0.8808"),
        (1666, "1.9992"),
        (1667, "2.00"),  # 2,0004 € clamped down
        (None, "2.00"),  # no QF: the maximum
    ],
)
def test_taux_d_effort_is_clamped(qf, unit):
    assert rules.unit_price(EFFORT, qf) == D(unit)


def test_taux_d_effort_is_rounded_once_on_the_line():
    # 1,494 € an hour × 3 h = 4,482 € → 4,48 €; rounding the unit price first would give
    # 1,49 € × 3 = 4,47 €.
    line = rules.price_day(EFFORT, qf=1245, booked=True, attendance=None, hours=D(3))
    assert (line.unit_price, line.amount) == (D("1.4940"), D("4.48"))


def test_half_up_rounding():
    tariff = Tariff(basis=Basis.UNIT, valid_from=START, price=D("0.125"))
    assert rules.price_day(tariff, qf=None, booked=True, attendance=None).amount == D("0.13")


def test_forfait_is_billed_per_period_not_per_day():
    forfait = Tariff(
        basis=Basis.FORFAIT, valid_from=START, price=D("35"), forfait="month", label="GARDERIE"
    )
    assert rules.price_day(forfait, qf=None, booked=True, attendance=None) is None
    start, end = rules.forfait_period(date(2026, 2, 17), "month")
    assert (start, end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert rules.forfait_period(date(2026, 12, 3), "week") == (
        date(2026, 11, 30),
        date(2026, 12, 6),
    )
    line = rules.price_forfait(forfait, qf=None, start=start, end=end)
    assert (line.amount, line.label) == (
        D("35.00"),
        "GARDERIE (forfait du 01/02/2026 au 28/02/2026)",
    )


def test_the_tariff_of_the_day_served():
    december = Tariff(
        basis=Basis.UNIT, valid_from=START, valid_to=date(2026, 12, 31), price=D("3.60")
    )
    january = Tariff(basis=Basis.UNIT, valid_from=date(2027, 1, 1), price=D("3.80"))
    tariffs = [december, january]
    assert rules.tariff_on(tariffs, date(2026, 12, 31)) is december
    assert rules.tariff_on(tariffs, date(2027, 1, 1)) is january
    assert rules.tariff_on(tariffs, date(2026, 8, 31)) is None
    assert rules.periods_problems(tariffs) == []
    overlapping = Tariff(basis=Basis.UNIT, valid_from=date(2026, 12, 15), price=D(4))
    assert rules.periods_problems([december, overlapping]) == [
        rules.PERIODS_OVERLAP.format(other="du 01/09/2026 au 31/12/2026")
    ]


@pytest.mark.parametrize(
    ("brackets", "problem"),
    [
        ((Bracket(1, None, D(1)),), rules.BRACKETS_START),
        (
            (Bracket(0, 499, D(1)), Bracket(501, None, D(1))),
            rules.BRACKETS_GAP.format(low=500, high=500),
        ),
        (
            (Bracket(0, 500, D(1)), Bracket(500, None, D(1))),
            rules.BRACKETS_OVERLAP.format(value=500),
        ),
        ((Bracket(0, 499, D(1)), Bracket(500, 1000, D(1))), rules.BRACKETS_CLOSED_END),
        ((Bracket(0, None, D(1)), Bracket(500, None, D(1))), rules.BRACKETS_OPEN_END),
        ((Bracket(0, None, D(-1)),), rules.NEGATIVE_PRICE.format(what="tranche QF 0 et plus")),
    ],
)
def test_bad_brackets_are_refused_in_french(brackets, problem):
    tariff = Tariff(basis=Basis.HOUR, valid_from=START, brackets=brackets)
    assert problem in rules.tariff_problems(tariff)


def test_other_bad_tariffs():
    assert rules.tariff_problems(Tariff(basis=Basis.UNIT, valid_from=START)) == [rules.NO_PRICE]
    both = Tariff(basis=Basis.UNIT, valid_from=START, price=D(1), brackets=QF_BRACKETS)
    assert rules.tariff_problems(both) == [rules.TWO_PRICES]
    negative = Tariff(basis=Basis.UNIT, valid_from=START, price=D(1), unbooked_price=D("-5"))
    assert rules.tariff_problems(negative) == [
        rules.NEGATIVE_PRICE.format(what="prix si non prévu")
    ]
    effort = Tariff(
        basis=Basis.UNIT, valid_from=START, effort_rate=D(1), effort_min=D(3), effort_max=D(2)
    )
    assert rules.tariff_problems(effort) == [rules.EFFORT_BOUNDS]
    forfait = Tariff(basis=Basis.FORFAIT, valid_from=START, price=D(1))
    assert rules.tariff_problems(forfait) == [rules.FORFAIT_PERIOD]
    assert rules.tariff_problems(CANTINE) == rules.tariff_problems(GARDERIE) == []


prices = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False)
qfs = st.one_of(st.none(), st.integers(min_value=0, max_value=100_000))
attendances = st.one_of(st.none(), st.sampled_from(list(Attendance)))
hours = st.integers(min_value=1, max_value=24 * 4).map(lambda q: Decimal(q) / 4)


@given(
    price=prices,
    unbooked=st.one_of(st.none(), prices),
    absence=st.one_of(st.none(), prices),
    qf=qfs,
    booked=st.booleans(),
    attendance=attendances,
    quantity=hours,
    hourly=st.booleans(),
)
def test_a_line_is_never_negative_and_rounded_once(
    price, unbooked, absence, qf, booked, attendance, quantity, hourly
):
    tariff = Tariff(
        basis=Basis.HOUR if hourly else Basis.UNIT,
        valid_from=START,
        price=price,
        unbooked_price=unbooked,
        unjustified_absence_price=absence,
    )
    line = rules.price_day(tariff, qf=qf, booked=booked, attendance=attendance, hours=quantity)
    if line is None:
        assert attendance == Attendance.ABSENT_JUSTIFIED or (
            not booked and attendance != Attendance.PRESENT
        )
        return
    assert line.amount >= 0
    assert line.amount == rules.money(line.unit_price * line.quantity)
    assert abs(line.amount - line.unit_price * line.quantity) <= Decimal("0.005")
    assert line.amount.as_tuple().exponent == -2


@given(
    cuts=st.lists(st.integers(min_value=1, max_value=5000), unique=True, max_size=6),
    qf=qfs,
)
def test_contiguous_brackets_cover_every_qf_once(cuts, qf):
    bounds = [0, *sorted(cuts)]
    brackets = tuple(
        Bracket(low, (bounds[i + 1] - 1) if i + 1 < len(bounds) else None, D(i))
        for i, low in enumerate(bounds)
    )
    tariff = Tariff(basis=Basis.UNIT, valid_from=START, brackets=brackets)
    assert rules.tariff_problems(tariff) == []
    if qf is not None:
        assert sum(b.covers(qf) for b in brackets) == 1
    assert rules.unit_price(tariff, qf) == (
        next(b.price for b in brackets if b.covers(qf)) if qf is not None else D(len(bounds) - 1)
    )


@pytest.mark.parametrize(
    ("paid", "credited", "state"),
    [
        ("0", "0", "due"),
        ("10", "0", "partial"),
        ("0", "5", "partial"),
        ("44.80", "0", "paid"),
        ("39.40", "5.40", "paid"),
        ("0", "44.80", "credited"),
    ],
)
def test_invoice_status(paid, credited, state):
    assert rules.invoice_status(total=D("44.80"), paid=D(paid), credited=D(credited)) == state
