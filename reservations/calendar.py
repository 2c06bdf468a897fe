"""Which days a service is closed: public holidays, school holidays, weekdays, staff closures.

Pure Python (no Django): the caller passes the zone, the weekdays that never open and the
dates staff closed for the site or the prestation, so the calendar is tested without a
database.

Weekdays are ISO numbers, as in the models: 1 = lundi … 7 = dimanche.

Data sources, both shipped inside their packages and read offline:

- public holidays (métropole) come from the ``holidays`` package, in French;
- school holidays come from ``vacances-scolaires-france``, whose CSV covers zones A, B and C
  from 1990 to the last published school year. They are held here as plain date ranges
  (:class:`SchoolHolidays`) so that a caller can add what the package lacks (a later year,
  a « pont » it misses, Corse) from a CSV committed in the repository.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

import holidays

__all__ = [
    "WEEKDAY_NAMES",
    "WEEKEND",
    "AgendaDays",
    "ClosureCalendar",
    "SchoolHolidayPeriod",
    "SchoolHolidays",
    "SkippedDay",
    "WeekParity",
    "WorkingDays",
    "french_public_holiday",
]

ZONES = ("A", "B", "C")
# ISO weekday -> French name, as in « Pas de service le mercredi ».
WEEKDAY_NAMES = {
    1: "lundi",
    2: "mardi",
    3: "mercredi",
    4: "jeudi",
    5: "vendredi",
    6: "samedi",
    7: "dimanche",
}
WEEKEND = frozenset({6, 7})

PUBLIC_HOLIDAY = "Jour férié : {name}"
SCHOOL_HOLIDAY = "Vacances scolaires"
CLOSURE = "Fermeture : {label}"
CLOSURE_NO_LABEL = "Fermeture exceptionnelle"
NO_SERVICE_ON = "Pas de service le {weekday}"


# --- Public holidays --------------------------------------------------------------------


@functools.cache
def _french_public_holidays(year: int) -> Mapping[date, str]:
    # One frozen dict per year: the package's own object grows on lookup (not thread-safe).
    return MappingProxyType(dict(holidays.France(years=year, language="fr")))


def french_public_holiday(day: date) -> str | None:
    """Return the French name of the public holiday (métropole) on ``day``, or None."""
    return _french_public_holidays(day.year).get(day)


def _lookup(holidays_by_day: Mapping[date, str] | None) -> Callable[[date], str | None]:
    if holidays_by_day is None:
        return french_public_holiday
    return holidays_by_day.get


@dataclass(frozen=True)
class WorkingDays:
    """Tell the mairie's working days: Monday to Friday, public holidays excepted.

    Deadlines counted « en jours ouvrés » use these, not the days a service is open: the
    office that orders meals works on Wednesdays and during school holidays, so the veille
    of a Thursday is the Wednesday and the veille of the rentrée is the Friday before it.
    ``public_holidays`` None means the French ones (métropole); pass a mapping
    (e.g. ``holidays.France(subdiv="57", language="fr")``) for Alsace-Moselle.
    """

    public_holidays: Mapping[date, str] | None = None

    def is_working_day(self, day: date) -> bool:
        """Return True if ``day`` is a Monday to Friday that is not a public holiday."""
        return day.isoweekday() not in WEEKEND and _lookup(self.public_holidays)(day) is None


# --- School holidays --------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolHolidayPeriod:
    """Hold one school holiday of one zone: the days without school, both ends included."""

    zone: str
    start: date
    end: date
    name: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"Période de vacances vide : {self.start} > {self.end}")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class SchoolHolidays:
    """Hold the school holidays of every zone as date ranges, and the span the data covers.

    Outside ``[covers_from, covers_until]`` nothing is known: :meth:`period_on` answers None
    there and callers that book ahead check :meth:`covers` to warn or to limit the horizon.
    """

    periods: tuple[SchoolHolidayPeriod, ...] = ()
    covers_from: date | None = None
    covers_until: date | None = None
    _index: dict[tuple[str, date], SchoolHolidayPeriod] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        index: dict[tuple[str, date], SchoolHolidayPeriod] = {}
        for period in self.periods:
            day = period.start
            while day <= period.end:
                index[(period.zone, day)] = period
                day += timedelta(days=1)
        object.__setattr__(self, "_index", index)

    def period_on(self, day: date, zone: str) -> SchoolHolidayPeriod | None:
        """Return the school holiday of ``zone`` that contains ``day``, or None."""
        return self._index.get((zone, day))

    def covers(self, day: date) -> bool:
        """Return True if the data tells, for ``day``, whether it is a school holiday."""
        if self.covers_from is not None and day < self.covers_from:
            return False
        return self.covers_until is None or day <= self.covers_until

    @classmethod
    def from_csv(cls, lines: Iterable[str]) -> SchoolHolidays:
        """Read rows ``zone,start,end,name`` (ISO dates, header line first).

        The covered span runs from the earliest start to the latest end.
        """
        periods = tuple(
            SchoolHolidayPeriod(
                zone=row["zone"].strip(),
                start=date.fromisoformat(row["start"].strip()),
                end=date.fromisoformat(row["end"].strip()),
                name=(row.get("name") or "").strip(),
            )
            for row in csv.DictReader(lines)
        )
        if not periods:
            return cls()
        return cls(
            periods=periods,
            covers_from=min(p.start for p in periods),
            covers_until=max(p.end for p in periods),
        )

    @classmethod
    @functools.cache
    def from_package(cls) -> SchoolHolidays:
        """Load zones A, B and C from ``vacances-scolaires-france`` (its CSV, no network).

        The data is known up to the end of the last summer holiday it lists: after that the
        next school year is not published yet.
        """
        from vacances_scolaires_france import SchoolHolidayDates

        source = SchoolHolidayDates()
        periods: list[SchoolHolidayPeriod] = []
        current: dict[str, SchoolHolidayPeriod] = {}
        for day in sorted(source.data):
            name = source.data[day]["nom_vacances"]
            for zone in ZONES:
                if not source.is_holiday_for_zone(day, zone):
                    continue
                period = current.get(zone)
                if period and period.name == name and period.end + timedelta(days=1) == day:
                    current[zone] = SchoolHolidayPeriod(zone, period.start, day, name)
                    continue
                if period:
                    periods.append(period)
                current[zone] = SchoolHolidayPeriod(zone, day, day, name)
        periods.extend(current.values())
        last = max((p.end for p in periods), default=None)
        return cls(
            periods=tuple(periods),
            covers_from=date(source.min_year, 1, 1),
            covers_until=last,
        )


# --- The closure calendar ---------------------------------------------------------------


class WeekParity(StrEnum):
    """Filter the Vue Agenda by ISO week number (week 53 is odd, like the week 1 after it)."""

    EVEN = "even"
    ODD = "odd"


class SkippedDay(NamedTuple):
    day: date
    reason: str


class AgendaDays(NamedTuple):
    """The days the Vue Agenda adds to the cart, and the matching days it skipped, why."""

    added: tuple[date, ...]
    skipped: tuple[SkippedDay, ...]


@dataclass(frozen=True)
class ClosureCalendar:
    """Tell which days a service (or one of its prestations) is closed, and why, in French.

    - ``zone``: the collectivité's school-holiday zone; None when school holidays do not
      close the service (an accueil de loisirs).
    - ``public_holidays``: date -> French name; None means métropole, from ``holidays``.
    - ``school_holidays``: the ranges per zone; None means ``vacances-scolaires-france``.
    - ``closed_weekdays``: ISO weekdays that never open (Wednesday where there is no school).
    - ``closures``: date -> label of the days staff closed that apply here (the site's and
      the prestation's, merged by the caller).

    The reason given is the most specific one: a public holiday, then a staff closure, then
    school holidays, then the weekday.
    """

    zone: str | None = None
    public_holidays: Mapping[date, str] | None = None
    school_holidays: SchoolHolidays | None = None
    closed_weekdays: frozenset[int] = WEEKEND
    closures: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        weekdays = frozenset(self.closed_weekdays)
        if not weekdays <= WEEKDAY_NAMES.keys():
            raise ValueError(f"Jours ISO attendus (1 à 7) : {sorted(weekdays)}")
        object.__setattr__(self, "closed_weekdays", weekdays)

    @property
    def working_days(self) -> WorkingDays:
        """Return the working days (Monday–Friday less public holidays) of this calendar."""
        return WorkingDays(self.public_holidays)

    def is_working_day(self, day: date) -> bool:
        """Return True if the mairie works on ``day`` (used by deadlines in jours ouvrés)."""
        return self.working_days.is_working_day(day)

    def public_holiday(self, day: date) -> str | None:
        """Return the name of the public holiday on ``day``, or None."""
        return _lookup(self.public_holidays)(day)

    def school_holiday(self, day: date) -> SchoolHolidayPeriod | None:
        """Return the school holiday of the calendar's zone containing ``day``, or None."""
        if self.zone is None:
            return None
        source = self.school_holidays
        if source is None:
            source = SchoolHolidays.from_package()
        return source.period_on(day, self.zone)

    def closed_reason(self, day: date) -> str | None:
        """Return why the service is closed on ``day`` (in French), or None if it is open."""
        name = self.public_holiday(day)
        if name is not None:
            return PUBLIC_HOLIDAY.format(name=name)
        if day in self.closures:
            label = (self.closures[day] or "").strip()
            return CLOSURE.format(label=label) if label else CLOSURE_NO_LABEL
        if self.school_holiday(day) is not None:
            return SCHOOL_HOLIDAY
        weekday = day.isoweekday()
        if weekday in self.closed_weekdays:
            return NO_SERVICE_ON.format(weekday=WEEKDAY_NAMES[weekday])
        return None

    def is_open(self, day: date) -> bool:
        """Return True if the service runs on ``day``."""
        return self.closed_reason(day) is None

    def open_days(
        self,
        start: date,
        end: date,
        weekdays: Iterable[int],
        week_parity: WeekParity | str | None = None,
    ) -> AgendaDays:
        """Return the open days from ``start`` to ``end`` (included) for the Vue Agenda.

        Only days on one of ``weekdays`` (ISO) and, if ``week_parity`` is given, in an even
        or odd ISO week are considered; of those, the closed ones come back in ``skipped``
        with their reason.
        """
        if end < start:
            raise ValueError(f"Période inversée : du {start:%d/%m/%Y} au {end:%d/%m/%Y}")
        wanted = frozenset(weekdays)
        if not wanted <= WEEKDAY_NAMES.keys():
            raise ValueError(f"Jours ISO attendus (1 à 7) : {sorted(wanted)}")
        parity = None if week_parity is None else WeekParity(week_parity)
        added: list[date] = []
        skipped: list[SkippedDay] = []
        # Counted, not stepped past ``end``: a period ending on 31/12/9999 has no day after.
        for offset in range((end - start).days + 1):
            day = start + timedelta(days=offset)
            iso = day.isocalendar()
            if iso.weekday in wanted and (
                parity is None or (iso.week % 2 == 0) == (parity is WeekParity.EVEN)
            ):
                reason = self.closed_reason(day)
                if reason is None:
                    added.append(day)
                else:
                    skipped.append(SkippedDay(day, reason))
        return AgendaDays(tuple(added), tuple(skipped))
