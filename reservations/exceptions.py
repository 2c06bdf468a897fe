"""Errors of booking, with the French message parents and staff see."""

from __future__ import annotations

from dataclasses import dataclass


class ReservationsError(Exception):
    message = "La réservation n'a pas pu être enregistrée."

    def __init__(self, message: str | None = None):
        self.message = message or self.message
        super().__init__(self.message)


FULL = "Complet : plus aucune place ce jour-là."
NOT_RUNNING = "Cette prestation n'a pas lieu ce jour-là."


@dataclass(frozen=True)
class RefusedLine:
    booking_id: int
    label: str
    reason: str


class CartRefused(ReservationsError):
    """Some lines of the cart cannot be validated now; nothing was validated."""

    def __init__(self, lines: list[RefusedLine]):
        self.lines = lines
        super().__init__(
            "Votre panier n'a pas été validé : "
            + " ; ".join(f"{line.label} — {line.reason}" for line in lines)
        )


class CartEmpty(ReservationsError):
    message = "Votre panier est vide."
