"""A click on a cell of the Vue Période: what it means depends on the cell, decided here.

A bookable day goes into the cart (a forfait: its whole week or month), a day in the cart
comes out; a validated or pending day asks for its cancellation, a second click withdraws
the request; a full day joins its waiting list, a second click leaves it. Any other cell
stays as it is and says why. The view only translates the outcome into a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from families.models import Child, Foyer
from reservations.exceptions import ReservationsError
from reservations.models import Prestation, PrestationKind
from reservations.selectors.cells import Cell, CellState
from reservations.selectors.grid import period_cells
from reservations.services.cart import (
    cancel_request,
    cancel_request_withdraw,
    cart_add,
    cart_remove,
    forfait_add,
)
from reservations.services.waitlist import waitlist_join, waitlist_leave

ADDED = "{name} le {day:%d/%m/%Y} : ajouté à votre panier."
ADDED_FORFAIT = "{name} : {count} à votre panier, du {first:%d/%m/%Y} au {last:%d/%m/%Y}."
NOTHING_ADDED = "Aucun jour de ce forfait ne peut être réservé."
REMOVED = "{name} le {day:%d/%m/%Y} : retiré de votre panier."
CANCEL_ASKED = (
    "{name} le {day:%d/%m/%Y} : demande d'annulation ajoutée à votre panier, "
    "validez-le pour l'envoyer."
)
CANCEL_WITHDRAWN = "{name} le {day:%d/%m/%Y} : demande d'annulation retirée."
WAITLIST_LEFT = "{name} le {day:%d/%m/%Y} : retiré de la liste d'attente."
WAITLIST_JOINED = (
    "{name} le {day:%d/%m/%Y} est complet : votre enfant est n° {position} sur la liste "
    "d'attente. Vous serez prévenu par e-mail si une place se libère."
)


class Level(StrEnum):
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class CellOutcome:
    """What a click did: how it went, the sentence to show, the days whose cells changed."""

    level: Level
    message: str
    days: tuple[date, ...]


def plural(count: int, singular: str, plural_: str) -> str:
    return f"{count} {singular if count == 1 else plural_}"


@dataclass(frozen=True)
class _Click:
    child: Child
    prestation: Prestation
    day: date
    cell: Cell
    user: object
    now: datetime

    def done(self, template: str, **values) -> CellOutcome:
        text = template.format(name=self.prestation.name, day=self.day, **values)
        return CellOutcome(Level.SUCCESS, text, (self.day,))


def _book(click: _Click) -> CellOutcome:
    if click.prestation.kind != PrestationKind.FORFAIT:
        cart_add(
            child=click.child,
            prestation=click.prestation,
            day=click.day,
            user=click.user,
            now=click.now,
        )
        return click.done(ADDED)
    # One click books the forfait's whole week or month (seed 004).
    result = forfait_add(
        child=click.child,
        prestation=click.prestation,
        day=click.day,
        user=click.user,
        now=click.now,
    )
    added = sorted(booking.day for booking in result.added)
    if not added:
        reason = dict(result.skipped).get(click.day, NOTHING_ADDED)
        return CellOutcome(Level.WARNING, reason, (click.day,))
    text = ADDED_FORFAIT.format(
        name=click.prestation.name,
        count=plural(len(added), "jour ajouté", "jours ajoutés"),
        first=added[0],
        last=added[-1],
    )
    return CellOutcome(Level.SUCCESS, text, (click.day, *(d for d in added if d != click.day)))


def _unbook(click: _Click) -> CellOutcome:
    cart_remove(booking=click.cell.booking)
    return click.done(REMOVED)


def _ask_cancel(click: _Click) -> CellOutcome:
    # « Mes demandes d'annulation »: applied when the cart is validated.
    cancel_request(booking=click.cell.booking, user=click.user, now=click.now)
    return click.done(CANCEL_ASKED)


def _withdraw_cancel(click: _Click) -> CellOutcome:
    cancel_request_withdraw(booking=click.cell.booking, user=click.user, now=click.now)
    return click.done(CANCEL_WITHDRAWN)


def _wait_or_leave(click: _Click) -> CellOutcome:
    if click.cell.waiting_position:
        waitlist_leave(child=click.child, prestation=click.prestation, day=click.day)
        return click.done(WAITLIST_LEFT)
    position = waitlist_join(
        child=click.child, prestation=click.prestation, day=click.day, now=click.now
    )
    return click.done(WAITLIST_JOINED, position=position)


# What a click does, per state of the cell; the others only say why they cannot change.
ON_CLICK: dict[CellState, Callable[[_Click], CellOutcome]] = {
    CellState.BOOKABLE: _book,
    CellState.IN_CART: _unbook,
    CellState.VALIDATED: _ask_cancel,
    CellState.PENDING: _ask_cancel,
    CellState.CANCEL_REQUESTED: _withdraw_cancel,
    CellState.FULL: _wait_or_leave,
}


def cell_click(
    *,
    foyer: Foyer,
    child: Child,
    prestation: Prestation,
    day: date,
    user,
    now: datetime,
) -> CellOutcome:
    """Do what a click on ``child``'s cell of ``prestation`` on ``day`` means, and say it.

    ``prestation`` comes from selectors.service_options (its service loaded), ``foyer``
    from selectors.foyer_with_children. A refusal leaves everything as it was and says why.
    """
    cell = period_cells(foyer=foyer, child=child, prestation=prestation, days=[day], now=now)
    click = _Click(child, prestation, day, cell.cells[day], user, now)
    handler = ON_CLICK.get(click.cell.state)
    if handler is None:
        return CellOutcome(Level.WARNING, click.cell.reason or click.cell.style.hint, (day,))
    try:
        return handler(click)
    except ReservationsError as error:
        return CellOutcome(Level.ERROR, error.message, (day,))
