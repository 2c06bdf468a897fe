"""The Vue Période's cells: their states, how each looks and speaks, weeks and rows.

Pure data built by selectors.grid; the template tag (templatetags.reservations_grid) turns a
cell into its button.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from reservations.calendar import WEEKDAY_NAMES
from reservations.lifecycle import State
from reservations.models import Booking, Prestation

# A bookable cell shows its places left when they run this low.
FEW_PLACES = 10
WEEKDAY_LETTERS = {1: "L", 2: "M", 3: "M", 4: "J", 5: "V"}


class CellState(StrEnum):
    BOOKABLE = "bookable"
    IN_CART = "cart"
    VALIDATED = "validated"
    PENDING = "pending"
    HELD = "held"
    CANCEL_REQUESTED = "cancel_requested"
    FULL = "full"
    LOCKED = "locked"
    CLOSED = "closed"


@dataclass(frozen=True)
class StateStyle:
    """How a state looks: words (never colour alone), an icon or a symbol, the legend's hint.

    The icon of each state is drawn by its CSS class (static/css/reservations.css); a closed
    day shows ``symbol`` instead (the seeds' « ... »).
    """

    state: CellState
    label: str
    hint: str
    symbol: str = ""


# In the legend's order. Icons after the seeds: ○ réservable, 🕒 en cours, ✓ validée.
STYLES = {
    style.state: style
    for style in (
        StateStyle(CellState.BOOKABLE, "réservable", "cliquez pour l'ajouter au panier"),
        StateStyle(CellState.IN_CART, "dans le panier", "demande en cours, à valider"),
        StateStyle(CellState.VALIDATED, "demande validée", "réservation enregistrée"),
        StateStyle(CellState.PENDING, "en attente de la mairie", "la mairie doit l'accepter"),
        StateStyle(CellState.HELD, "en attente de paiement", "place retenue le temps du paiement"),
        StateStyle(CellState.CANCEL_REQUESTED, "demande d'annulation", "annulation demandée"),
        StateStyle(
            CellState.FULL,
            "complet",
            "cliquez pour la liste d'attente (votre rang s'affiche), à nouveau pour la quitter",
        ),
        StateStyle(CellState.LOCKED, "réservation close", "délai de réservation dépassé"),
        StateStyle(CellState.CLOSED, "fermé", "pas de service ce jour-là", symbol="..."),
    )
}
LEGEND = tuple(STYLES.values())

# What a click on a cell that cannot change says (the cell's reason when it has none).
ALREADY_VALIDATED = "Cette demande est déjà validée."
AWAITING_APPROVAL = "Cette demande attend la validation de la mairie."
AWAITING_PAYMENT = "Cette réservation attend votre paiement."
CANCEL_ALREADY_REQUESTED = "Une demande d'annulation est déjà en cours pour ce jour."
CLOSED_THAT_DAY = "Pas de service ce jour-là."

CELL_OF_BOOKING = {
    State.CART: (CellState.IN_CART, ""),
    State.VALIDATED: (CellState.VALIDATED, ALREADY_VALIDATED),
    State.PENDING_APPROVAL: (CellState.PENDING, AWAITING_APPROVAL),
    State.HELD: (CellState.HELD, AWAITING_PAYMENT),
    State.CANCEL_REQUESTED: (CellState.CANCEL_REQUESTED, CANCEL_ALREADY_REQUESTED),
}


def cell_dom_id(prestation: Prestation, day: date) -> str:
    """The id of a cell's element in the page: « cellule-<prestation id>-<YYYYMMDD> »."""
    return f"cellule-{prestation.pk}-{day:%Y%m%d}"


def monday_of(day: date) -> date:
    """Return the Monday of ``day``'s week."""
    return day - timedelta(days=day.isoweekday() - 1)


@dataclass(frozen=True)
class Cell:
    """One prestation on one day for the chosen child."""

    prestation: Prestation
    day: date
    state: CellState
    # Why the cell cannot be clicked into the cart (empty for bookable and in-cart cells).
    reason: str = ""
    # Places left, for cells that could still take the child (bookable, full).
    remaining: int | None = None
    # The child's rank on the day's waiting list (full cells only; 1 is next served).
    waiting_position: int | None = None
    booking: Booking | None = field(default=None, compare=False, repr=False)

    @property
    def style(self) -> StateStyle:
        return STYLES[self.state]

    @property
    def actionable(self) -> bool:
        """Tell whether a click may change something: the cart, a cancellation, the waiting list.

        Locked and held cells only explain themselves (aria-disabled, still focusable).
        """
        return self.state in (
            CellState.BOOKABLE,
            CellState.IN_CART,
            CellState.VALIDATED,
            CellState.PENDING,
            CellState.CANCEL_REQUESTED,
            CellState.FULL,
        )

    @property
    def dom_id(self) -> str:
        return cell_dom_id(self.prestation, self.day)

    @property
    def key(self) -> str:
        """What the cell's button sends: « <prestation id>-<YYYYMMDD> »."""
        return f"{self.prestation.pk}-{self.day:%Y%m%d}"

    @property
    def button_id(self) -> str:
        return f"bouton-{self.prestation.pk}-{self.day:%Y%m%d}"

    @property
    def day_label(self) -> str:
        """« mardi 14/01 »."""
        return f"{WEEKDAY_NAMES[self.day.isoweekday()]} {self.day:%d/%m}"

    @property
    def aria_label(self) -> str:
        """« CANTINE, mardi 14/01 : réservable, 12 places restantes »."""
        text = f"{self.prestation.name}, {self.day_label} : {self.style.label}"
        if self.state == CellState.BOOKABLE and self.remaining is not None:
            plural = "s" if self.remaining > 1 else ""
            text += f", {self.remaining} place{plural} restante{plural}"
        elif self.state == CellState.FULL and self.waiting_position:
            text += f", {self.waiting_rank} sur la liste d'attente"
        elif self.state in (CellState.LOCKED, CellState.CLOSED) and self.reason:
            reason = self.reason[0].lower() + self.reason[1:]
            if reason.startswith(self.style.label):  # « réservation close depuis le … »
                return f"{self.prestation.name}, {self.day_label} : {reason}"
            text += f" ({self.reason})"
        return text

    @property
    def figure(self) -> str:
        """What the cell writes under its icon: places when few are left, or the child's rank."""
        if self.state == CellState.BOOKABLE and self.remaining <= FEW_PLACES:
            return str(self.remaining)
        if self.state == CellState.FULL and self.waiting_position:
            return self.waiting_rank
        return ""

    @property
    def waiting_rank(self) -> str:
        """« 1er », « 2e »: the child's rank on the waiting list."""
        return "1er" if self.waiting_position == 1 else f"{self.waiting_position}e"


@dataclass(frozen=True)
class Row:
    prestation: Prestation
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    day: date

    @property
    def letter(self) -> str:
        return WEEKDAY_LETTERS[self.day.isoweekday()]

    @property
    def weekday(self) -> str:
        return WEEKDAY_NAMES[self.day.isoweekday()]


@dataclass(frozen=True)
class Week:
    monday: date
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @property
    def number(self) -> int:
        return self.monday.isocalendar().week

    @property
    def friday(self) -> date:
        return self.monday + timedelta(days=4)

    @property
    def title(self) -> str:
        """« Semaine 3 du 14/01/2019 au 18/01/2019 »."""
        return f"Semaine {self.number} du {self.monday:%d/%m/%Y} au {self.friday:%d/%m/%Y}"
