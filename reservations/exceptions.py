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
ALREADY_BOOKED = "Cette prestation est déjà dans votre panier ou réservée ce jour-là."
# Two prestations of one service whose hours overlap (garderie soir T1 and T2).
SLOTS_OVERLAP = (
    "Cet enfant a déjà, ce jour-là, une prestation de ce service dont les horaires "
    "chevauchent ceux-ci."
)
SLOTS_OVERLAP_NAMED = (
    "{name} chevauche {other}, déjà demandée pour cet enfant ce jour-là : "
    "retirez ou annulez d'abord celle-ci."
)
# The database's refusal to delete a booking past the cart, or any event (migration 0002).
HISTORY_KEPT = (
    "Une réservation envoyée et son historique ne peuvent pas être supprimés : annulez-la plutôt."
)
NOT_ALLOWED = "Votre rôle ne permet pas de décider des réservations."
# A booking typed by staff against the parents' rules (reservations.services.staff).
OVERRIDE_NEEDED = (
    "{reasons} Pour réserver quand même, cochez « Passer outre le délai ou la capacité » et "
    "indiquez le motif."
)
OVERRIDE_MOTIVE_REQUIRED = (
    "Indiquez le motif pour lequel la mairie passe outre le délai ou la capacité : il est "
    "gardé dans l'historique de la réservation."
)


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


# Closures (reservations.services.closures).
CLOSURE_OVERLAP = (
    "Une fermeture de ce service couvre déjà {scope} {period} (« {reason} ») : modifiez-la "
    "plutôt que d'en ajouter une autre."
)
CLOSURE_IN_PAST = (
    "Une fermeture ne peut pas commencer avant aujourd'hui : les jours passés ont été servis "
    "(corrigez plutôt le pointage)."
)
CLOSURE_UPSIDE_DOWN = "La fin de la fermeture précède son début."
CLOSURE_TOO_LONG = "Une fermeture couvre au plus {days} jours : créez-en plusieurs."
CLOSURE_REASON_EMPTY = "Indiquez le motif de la fermeture : il est envoyé aux familles."
CLOSURE_OTHER_SERVICE = "« {name} » n'est pas une prestation de ce service."
CLOSURE_RUNNING = (
    "Cette fermeture est en cours d'application : attendez qu'elle soit terminée pour la "
    "modifier ou la supprimer."
)
CLOSURE_NOT_ALLOWED = "Votre rôle ne permet pas de fermer un service : il annule des réservations."


class ClosureError(ReservationsError):
    message = "La fermeture n'a pas pu être enregistrée."
