"""What a day of a prestation costs: the tariff engine. Pure: no Django, Decimal throughout.

A tariff says how a prestation is priced over a validity period:

- its **basis**: per unit (a meal, a day), per hour (the prestation's start to end: garderie
  soir T1 16:30–17:30 is 1 h, T2 16:30–18:30 is 2 h), or a forfait billed once per week or
  month;
- its **price**: a fixed price, a price per quotient-familial bracket, or a linear « taux
  d'effort » (rate × QF, clamped between a minimum and a maximum);
- the prices of the two exceptions of seed 000: « prix si non prévu » (present without a
  booking) and « prix si absence injustifiée ». Left empty, each is the normal price.

A line is priced once: unit price × quantity, rounded half-up to the cent. The unit price
itself is not rounded (a taux d'effort gives 0,8808 € an hour); the invoice shows it as is and
the amount rounded, so rounding happens once per line, never twice.

Which days are billed (seed 000 and the SPEC's « pointage »):

========================  ===========================  ==================================
booked?                   attendance                   billed
========================  ===========================  ==================================
yes                       present, or not marked       the normal price
yes                       absent, justified            nothing
yes                       absent, not justified        the unjustified-absence price
no                        present                      the « non prévu » price
no                        absent or not marked         nothing
========================  ===========================  ==================================

A foyer without a quotient familial valid on the day pays the highest bracket (or the
taux d'effort's maximum): the mairie cannot grant a reduction it has no proof of.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

__all__ = [
    "CENT",
    "Attendance",
    "Basis",
    "Bracket",
    "PricedLine",
    "Tariff",
    "TariffError",
    "bracket_for",
    "bracket_problems",
    "forfait_period",
    "hours_between",
    "invoice_status",
    "last_month",
    "money",
    "periods_problems",
    "price_day",
    "price_forfait",
    "tariff_on",
    "tariff_problems",
    "unit_price",
]

CENT = Decimal("0.01")
ZERO = Decimal("0")

# What staff and parents read.
NEGATIVE_PRICE = "Un prix ne peut pas être négatif ({what})."
NO_PRICE = "Indiquez un prix à l'unité, des tranches de quotient familial ou un taux d'effort."
TWO_PRICES = "Choisissez un seul mode de prix : prix fixe, tranches ou taux d'effort."
BRACKETS_START = "La première tranche doit commencer au quotient familial 0."
BRACKETS_GAP = "Trou entre les tranches : rien ne couvre les quotients de {low} à {high}."
BRACKETS_OVERLAP = "Les tranches se chevauchent : le quotient {value} est dans deux tranches."
BRACKETS_ORDER = "La tranche {low}–{high} finit avant de commencer."
BRACKETS_OPEN_END = "Seule la dernière tranche peut être sans plafond (« à partir de »)."
BRACKETS_CLOSED_END = "La dernière tranche doit être sans plafond (« à partir de … »)."
EFFORT_BOUNDS = "Le taux d'effort demande un minimum et un maximum, le minimum sous le maximum."
FORFAIT_PERIOD = "Un forfait se facture à la semaine ou au mois."
HOURS_NEEDED = "Un tarif horaire demande l'heure de début et de fin de la prestation."
PERIODS_OVERLAP = "Ce tarif chevauche un autre tarif de la prestation ({other})."


class TariffError(ValueError):
    """A tariff that cannot price anything; ``message`` is French."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class Basis(StrEnum):
    UNIT = "unit"
    HOUR = "hour"
    FORFAIT = "forfait"


class Attendance(StrEnum):
    """What the pointage says of a child on a day (None when nobody marked it)."""

    PRESENT = "present"
    ABSENT_JUSTIFIED = "absent_justified"
    ABSENT_UNJUSTIFIED = "absent_unjustified"


@dataclass(frozen=True)
class Bracket:
    """Quotients familiaux from ``low`` to ``high`` included (``high`` None: and above)."""

    low: int
    high: int | None
    price: Decimal

    def covers(self, qf: int) -> bool:
        return self.low <= qf and (self.high is None or qf <= self.high)

    @property
    def label(self) -> str:
        """« QF 500 à 1000 », « QF 1001 et plus »."""
        if self.high is None:
            return f"QF {self.low} et plus"
        return f"QF {self.low} à {self.high}"


@dataclass(frozen=True)
class Tariff:
    """The prices of one prestation over ``valid_from`` … ``valid_to`` (None: open-ended).

    Exactly one of ``price``, ``brackets`` and ``effort_rate`` sets the normal price.
    ``forfait`` is "week" or "month" for the forfait basis.
    """

    basis: Basis
    valid_from: date
    valid_to: date | None = None
    price: Decimal | None = None
    brackets: tuple[Bracket, ...] = ()
    effort_rate: Decimal | None = None
    effort_min: Decimal | None = None
    effort_max: Decimal | None = None
    unbooked_price: Decimal | None = None
    unjustified_absence_price: Decimal | None = None
    forfait: str = ""
    label: str = ""

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class PricedLine:
    """One invoice line: ``quantity`` × ``unit_price`` = ``amount`` (rounded once)."""

    label: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def money(value: Decimal) -> Decimal:
    """Round to the cent, half-up (the French public accounting rule)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Checks -----------------------------------------------------------------------------


def bracket_problems(brackets: Sequence[Bracket]) -> list[str]:
    """Return why ``brackets`` do not cover every QF exactly once, or have a negative price."""
    problems = [NEGATIVE_PRICE.format(what=f"tranche {b.label}") for b in brackets if b.price < 0]
    if not brackets:
        return problems
    ordered = sorted(brackets, key=lambda b: b.low)
    if ordered[0].low != 0:
        problems.append(BRACKETS_START)
    for bracket in ordered:
        if bracket.high is not None and bracket.high < bracket.low:
            problems.append(BRACKETS_ORDER.format(low=bracket.low, high=bracket.high))
    for before, after in itertools.pairwise(ordered):
        if before.high is None:
            problems.append(BRACKETS_OPEN_END)
            break
        if after.low <= before.high:
            problems.append(BRACKETS_OVERLAP.format(value=after.low))
        elif after.low > before.high + 1:
            problems.append(BRACKETS_GAP.format(low=before.high + 1, high=after.low - 1))
    if ordered[-1].high is not None:
        problems.append(BRACKETS_CLOSED_END)
    return problems


def tariff_problems(tariff: Tariff, *, hours: Decimal | None = None) -> list[str]:
    """Return every reason ``tariff`` cannot price a day, in French (empty: it can).

    ``hours`` is the prestation's length, checked for an hourly tariff.
    """
    problems = []
    modes = sum((tariff.price is not None, bool(tariff.brackets), tariff.effort_rate is not None))
    if modes == 0:
        problems.append(NO_PRICE)
    elif modes > 1:
        problems.append(TWO_PRICES)
    amounts = {
        "prix": tariff.price,
        "prix si non prévu": tariff.unbooked_price,
        "prix si absence injustifiée": tariff.unjustified_absence_price,
        "taux d'effort": tariff.effort_rate,
        "minimum": tariff.effort_min,
        "maximum": tariff.effort_max,
    }
    problems.extend(
        NEGATIVE_PRICE.format(what=what)
        for what, value in amounts.items()
        if value is not None and value < 0
    )
    if tariff.brackets:
        problems.extend(bracket_problems(tariff.brackets))
    if tariff.effort_rate is not None and (
        tariff.effort_min is None
        or tariff.effort_max is None
        or tariff.effort_min > tariff.effort_max
    ):
        problems.append(EFFORT_BOUNDS)
    if tariff.basis == Basis.FORFAIT and tariff.forfait not in ("week", "month"):
        problems.append(FORFAIT_PERIOD)
    if tariff.basis == Basis.HOUR and hours is not None and hours <= 0:
        problems.append(HOURS_NEEDED)
    return problems


def periods_problems(tariffs: Iterable[Tariff]) -> list[str]:
    """Return why the validity periods of one prestation's tariffs overlap (empty: they don't)."""
    ordered = sorted(tariffs, key=lambda t: t.valid_from)
    problems = []
    for before, after in itertools.pairwise(ordered):
        if before.valid_to is None or after.valid_from <= before.valid_to:
            problems.append(PERIODS_OVERLAP.format(other=_period_label(before)))
    return problems


def _period_label(tariff: Tariff) -> str:
    if tariff.valid_to is None:
        return f"à partir du {tariff.valid_from:%d/%m/%Y}"
    return f"du {tariff.valid_from:%d/%m/%Y} au {tariff.valid_to:%d/%m/%Y}"


# --- Prices -----------------------------------------------------------------------------


def tariff_on(tariffs: Iterable[Tariff], day: date) -> Tariff | None:
    """Return the tariff valid on ``day`` (a January price never rewrites December)."""
    return next((t for t in tariffs if t.covers(day)), None)


def bracket_for(brackets: Sequence[Bracket], qf: int | None) -> Bracket:
    """Return the bracket of ``qf``; without a QF, the highest bracket."""
    if qf is not None:
        for bracket in brackets:
            if bracket.covers(qf):
                return bracket
    return max(brackets, key=lambda b: b.low)


def unit_price(tariff: Tariff, qf: int | None) -> Decimal:
    """Return the normal price of one unit (a day, an hour, a forfait) for ``qf``. Not rounded."""
    if tariff.price is not None:
        return tariff.price
    if tariff.brackets:
        return bracket_for(tariff.brackets, qf).price
    if tariff.effort_rate is not None:
        if qf is None:
            return tariff.effort_max
        return min(max(tariff.effort_rate * qf, tariff.effort_min), tariff.effort_max)
    raise TariffError(NO_PRICE)


def hours_between(start: time | None, end: time | None) -> Decimal:
    """Return the hours from ``start`` to ``end`` as a Decimal (16:30–18:30 → 2)."""
    if start is None or end is None:
        raise TariffError(HOURS_NEEDED)
    anchor = date(2000, 1, 1)
    seconds = (datetime.combine(anchor, end) - datetime.combine(anchor, start)).total_seconds()
    if seconds <= 0:
        raise TariffError(HOURS_NEEDED)
    return Decimal(int(seconds)) / Decimal(3600)


def _line(label: str, quantity: Decimal, price: Decimal) -> PricedLine:
    return PricedLine(
        label=label, quantity=quantity, unit_price=price, amount=money(price * quantity)
    )


def price_day(
    tariff: Tariff,
    *,
    qf: int | None,
    booked: bool,
    attendance: Attendance | None,
    hours: Decimal | None = None,
    name: str = "",
) -> PricedLine | None:
    """Return the line one child's day of a prestation bills, or None when nothing is due.

    ``hours`` is the prestation's length (``hours_between``), needed by an hourly tariff. A
    forfait is billed by ``price_forfait``, once per period, never per day: here it answers
    None. See the module docstring for which days are billed.
    """
    if tariff.basis == Basis.FORFAIT:
        return None
    name = name or tariff.label
    if booked:
        if attendance == Attendance.ABSENT_JUSTIFIED:
            return None
        if attendance == Attendance.ABSENT_UNJUSTIFIED:
            special, label = tariff.unjustified_absence_price, f"{name} (absence non justifiée)"
        else:
            special, label = None, name
    elif attendance == Attendance.PRESENT:
        special, label = tariff.unbooked_price, f"{name} (non prévu)"
    else:
        return None
    quantity = Decimal(1)
    if tariff.basis == Basis.HOUR:
        if hours is None or hours <= 0:
            raise TariffError(HOURS_NEEDED)
        quantity = hours
    # The special prices are per unit too (per hour for an hourly tariff), as the seed's
    # table puts them beside « prix à l'unité ».
    return _line(label, quantity, special if special is not None else unit_price(tariff, qf))


def last_month(today: date) -> tuple[date, date]:
    """Return the first and last day of the month before ``today``'s (what staff bill)."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def forfait_period(day: date, period: str) -> tuple[date, date]:
    """Return the first and last day of the week (Monday–Sunday) or month holding ``day``."""
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def price_forfait(
    tariff: Tariff, *, qf: int | None, start: date, end: date, name: str = ""
) -> PricedLine:
    """Return the one line of a forfait for its period ``start`` … ``end``."""
    label = f"{name or tariff.label} (forfait du {start:%d/%m/%Y} au {end:%d/%m/%Y})"
    return _line(label, Decimal(1), unit_price(tariff, qf))


def invoice_status(*, total: Decimal, paid: Decimal, credited: Decimal) -> str:
    """Return an invoice's state from its amounts: "credited", "paid", "partial" or "due".

    Cancelled by avoir when the credits cover it all; paid when nothing remains and some was
    paid; partial when something was paid or credited but some remains.
    """
    if credited >= total and total > 0 and paid == 0:
        return "credited"
    if paid + credited >= total:
        return "paid"
    if paid > 0 or credited > 0:
        return "partial"
    return "due"
