"""Tariff rows turned into the pure engine's dataclasses (billing.rules), and back to checks.

The only place that maps models to rules, so the invoice run, the prépaiement cart and the
admin price a day the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from billing import rules
from billing.models import PriceMode, Tariff
from families.models import QuotientFamilial
from reservations.models import Prestation, PrestationKind

BASIS = {
    PrestationKind.UNIT: rules.Basis.UNIT,
    PrestationKind.HOURLY: rules.Basis.HOUR,
    PrestationKind.FORFAIT: rules.Basis.FORFAIT,
}


def as_rule(tariff: Tariff, *, prestation: Prestation, brackets=None) -> rules.Tariff:
    """Return ``tariff`` as the engine's dataclass.

    ``brackets`` are its TariffBracket rows (prefetched by the caller, or read here).
    """
    mode = tariff.price_mode
    if mode == PriceMode.BRACKETS:
        rows = tariff.brackets.all() if brackets is None else brackets
        bracket_rules = tuple(rules.Bracket(b.qf_min, b.qf_max, b.price) for b in rows)
    else:
        bracket_rules = ()
    return rules.Tariff(
        basis=BASIS[PrestationKind(prestation.kind)],
        valid_from=tariff.valid_from,
        valid_to=tariff.valid_to,
        price=tariff.price if mode == PriceMode.FIXED else None,
        brackets=bracket_rules,
        effort_rate=tariff.effort_rate if mode == PriceMode.EFFORT else None,
        effort_min=tariff.effort_min if mode == PriceMode.EFFORT else None,
        effort_max=tariff.effort_max if mode == PriceMode.EFFORT else None,
        unbooked_price=tariff.unbooked_price,
        unjustified_absence_price=tariff.unjustified_absence_price,
        forfait=prestation.forfait_period,
        label=tariff.label or prestation.name,
    )


def prestation_hours(prestation: Prestation):
    """Return the prestation's length in hours, or None when it has no time slot."""
    if prestation.start_time is None or prestation.end_time is None:
        return None
    return rules.hours_between(prestation.start_time, prestation.end_time)


def tariffs_by_prestation(prestations: Iterable[Prestation]) -> dict[int, list[rules.Tariff]]:
    """Return {prestation id: its tariffs as rules}, in two queries (tariffs, brackets)."""
    prestations = {p.pk: p for p in prestations}
    rows = Tariff.objects.filter(prestation_id__in=prestations).prefetch_related("brackets")
    result: dict[int, list[rules.Tariff]] = {pk: [] for pk in prestations}
    for row in rows:
        prestation = prestations[row.prestation_id]
        result[row.prestation_id].append(as_rule(row, prestation=prestation))
    return result


def quotients_by_foyer(foyer_ids: Iterable[int], start: date, end: date) -> dict[int, list]:
    """Return {foyer id: [(valid_from, valid_to, value)]} of the QFs overlapping the period."""
    rows = (
        QuotientFamilial.objects.filter(foyer_id__in=list(foyer_ids), valid_from__lte=end)
        .exclude(valid_to__lt=start)
        .values_list("foyer_id", "valid_from", "valid_to", "value")
    )
    result: dict[int, list] = {}
    for foyer_id, valid_from, valid_to, value in rows:
        result.setdefault(foyer_id, []).append((valid_from, valid_to, value))
    return result


def qf_on(quotients: list, day: date) -> int | None:
    """Return the QF valid on ``day`` among ``quotients`` (see quotients_by_foyer), or None."""
    for valid_from, valid_to, value in quotients:
        if valid_from <= day and (valid_to is None or day <= valid_to):
            return value
    return None


def day_prices(
    *, foyer_id: int, days: Sequence[tuple[Prestation, date]]
) -> list[rules.PricedLine | None]:
    """Price booked days of one foyer as they will be billed: the tariff of each day, the
    foyer's QF of that day (three queries: tariffs, brackets, quotients). A day without a
    tariff prices None."""
    if not days:
        return []
    prestations = {prestation.pk: prestation for prestation, _ in days}
    by_prestation = tariffs_by_prestation(prestations.values())
    first, last = min(day for _, day in days), max(day for _, day in days)
    quotients = quotients_by_foyer([foyer_id], first, last).get(foyer_id, [])
    priced = []
    for prestation, day in days:
        tariff = rules.tariff_on(by_prestation[prestation.pk], day)
        if tariff is None or tariff.basis == rules.Basis.FORFAIT:
            priced.append(
                None
                if tariff is None
                else rules.price_forfait(
                    tariff,
                    qf=qf_on(quotients, day),
                    start=day,
                    end=day,
                    name=tariff.label,
                )
            )
            continue
        priced.append(
            rules.price_day(
                tariff,
                qf=qf_on(quotients, day),
                booked=True,
                attendance=None,
                hours=prestation_hours(prestation),
                name=tariff.label,
            )
        )
    return priced
