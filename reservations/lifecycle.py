"""The life of a booking: its states, what may happen to it, and why. Pure: no Django.

A booking is in one of seven states. An :class:`Action` creates it or moves it, and only as
``TRANSITIONS`` says; anything else raises :class:`TransitionRefused` with the French
sentence the family or the agent reads (« Cette réservation est déjà annulée. »). Every move
is recorded with a :class:`Reason` from ``REASONS[action]``: billing tells a cancellation
within the deadline from a justified absence, a closure or an expired hold by that column,
never by free text.

Where a submitted request goes depends on its prestation (:class:`Route`):

- « demandes validées par la mairie » and prépaiement: **approval first, then payment**::

      cart --submit--> pending --accept--> held --pay--> validated

  The mairie decides before anyone pays (a refused request never has to be refunded); the
  hold starts at acceptance and the family is e-mailed that it must pay.
- prépaiement only: ``cart --submit--> held --pay--> validated``;
- approval only: ``cart --submit--> pending --accept--> validated``;
- neither: ``cart --submit--> validated``.

A child promoted from the waiting list follows the same route as a submitted request, and a
booking typed by staff the route of an accepted one: nothing reaches ``validated`` on a
prestation needing approval without ``accept``, nor on a prépaiement one without ``pay``.
``cancelled`` and ``refused`` are final: a new booking is a new row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from reservations.exceptions import ReservationsError

__all__ = [
    "ACTIVE_STATES",
    "REASONS",
    "STAFF_ACTIONS",
    "STAFF_MOVES",
    "TAKEN_STATES",
    "TRANSITIONS",
    "Action",
    "Reason",
    "Route",
    "State",
    "TransitionRefused",
    "check_reason",
    "hold_for",
    "staff_moves",
    "transition",
]


class _Labelled(StrEnum):
    """A str enum whose members carry a French label, as Django's TextChoices do."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


class State(_Labelled):
    CART = "cart", "Dans le panier"
    HELD = "held", "En attente de paiement"
    PENDING_APPROVAL = "pending", "En attente de validation par la mairie"
    VALIDATED = "validated", "Demande validée"
    CANCEL_REQUESTED = "cancel_requested", "Demande d'annulation"
    CANCELLED = "cancelled", "Annulée"
    REFUSED = "refused", "Refusée"


# States whose booking takes a place (less held lines whose hold expired: see
# reservations.places, where « holds a place » is defined once).
TAKEN_STATES = (
    State.HELD,
    State.PENDING_APPROVAL,
    State.VALIDATED,
    State.CANCEL_REQUESTED,
)
# States that block another booking of the same child, prestation and day.
ACTIVE_STATES = (State.CART, *TAKEN_STATES)
FINAL_STATES = (State.CANCELLED, State.REFUSED)


class Reason(_Labelled):
    PARENT = "parent", "Demande de la famille"
    DEADLINE_OVERRIDE = "deadline_override", "Saisie par la mairie hors délai"
    JUSTIFIED_ABSENCE = "justified_absence", "Absence justifiée"
    STAFF_REFUSAL = "staff_refusal", "Refusée par la mairie"
    STAFF_CANCELLATION = "staff_cancellation", "Annulée par la mairie"
    HOLD_EXPIRED = "hold_expired", "Paiement non reçu à temps"
    PAYMENT_RECEIVED = "payment_received", "Paiement reçu"
    PAYMENT_FAILED = "payment_failed", "Paiement échoué ou abandonné"
    WAITLIST_PROMOTION = "waitlist_promotion", "Place libérée : liste d'attente"
    CLOSURE = "closure", "Fermeture"
    APPROVAL = "approval", "Acceptée par la mairie"


class Action(StrEnum):
    ADD = "add"  # a parent puts a day in the cart
    SUBMIT = "submit"  # « Valider »: the cart line is sent
    ASK_CANCEL = "ask_cancel"  # a parent asks for a cancellation (applied by « Valider »)
    WITHDRAW_CANCEL = "withdraw_cancel"  # … and takes the request back
    CONFIRM_CANCEL = "confirm_cancel"  # « Valider » applies it, within the deadline
    ACCEPT = "accept"  # staff accept a request awaiting approval
    REFUSE = "refuse"  # … or refuse it
    PAY = "pay"  # the payment of a held line is received
    RELEASE = "release"  # a held line is not paid: hold expired, payment failed
    CANCEL = "cancel"  # staff, a justified absence or a closure cancel
    PROMOTE = "promote"  # the first child waiting gets a freed place
    STAFF_BOOK = "staff_book"  # staff book for a family, deadlines overridden


@dataclass(frozen=True)
class Route:
    """What the prestation asks before a booking is validated."""

    approval: bool = False  # « demandes validées par la mairie »
    prepaid: bool = False  # prépaiement


def _after_approval(route: Route) -> State:
    return State.HELD if route.prepaid else State.VALIDATED


def _submitted(route: Route) -> State:
    return State.PENDING_APPROVAL if route.approval else _after_approval(route)


class _Previous:
    """Marks a transition back to the state the booking had before (a withdrawn request)."""

    def __repr__(self) -> str:
        return "PREVIOUS"


PREVIOUS = _Previous()
Target = State | Callable[[Route], State] | _Previous

# (state, action) → new state; ``None`` is « no booking yet ». Every pair not listed is
# refused. Callables pick the state from the prestation's route.
TRANSITIONS: Mapping[tuple[State | None, Action], Target] = {
    (None, Action.ADD): State.CART,
    (None, Action.PROMOTE): _submitted,
    (None, Action.STAFF_BOOK): _after_approval,
    (State.CART, Action.SUBMIT): _submitted,
    (State.CART, Action.CANCEL): State.CANCELLED,
    (State.PENDING_APPROVAL, Action.ACCEPT): _after_approval,
    (State.PENDING_APPROVAL, Action.REFUSE): State.REFUSED,
    (State.PENDING_APPROVAL, Action.ASK_CANCEL): State.CANCEL_REQUESTED,
    (State.PENDING_APPROVAL, Action.CANCEL): State.CANCELLED,
    (State.HELD, Action.PAY): State.VALIDATED,
    (State.HELD, Action.RELEASE): State.CANCELLED,
    (State.HELD, Action.CANCEL): State.CANCELLED,
    (State.VALIDATED, Action.ASK_CANCEL): State.CANCEL_REQUESTED,
    (State.VALIDATED, Action.CANCEL): State.CANCELLED,
    (State.CANCEL_REQUESTED, Action.WITHDRAW_CANCEL): PREVIOUS,
    (State.CANCEL_REQUESTED, Action.CONFIRM_CANCEL): State.CANCELLED,
    (State.CANCEL_REQUESTED, Action.CANCEL): State.CANCELLED,
}
# The states a withdrawn cancellation request may return to.
PREVIOUS_STATES = (State.VALIDATED, State.PENDING_APPROVAL)

# The reasons each action may be recorded with.
REASONS: Mapping[Action, frozenset[Reason]] = {
    Action.ADD: frozenset({Reason.PARENT}),
    Action.SUBMIT: frozenset({Reason.PARENT}),
    Action.ASK_CANCEL: frozenset({Reason.PARENT}),
    Action.WITHDRAW_CANCEL: frozenset({Reason.PARENT}),
    Action.CONFIRM_CANCEL: frozenset({Reason.PARENT}),
    Action.ACCEPT: frozenset({Reason.APPROVAL}),
    Action.REFUSE: frozenset({Reason.STAFF_REFUSAL}),
    Action.PAY: frozenset({Reason.PAYMENT_RECEIVED}),
    Action.RELEASE: frozenset({Reason.HOLD_EXPIRED, Reason.PAYMENT_FAILED}),
    Action.CANCEL: frozenset({Reason.STAFF_CANCELLATION, Reason.JUSTIFIED_ABSENCE, Reason.CLOSURE}),
    Action.PROMOTE: frozenset({Reason.WAITLIST_PROMOTION}),
    Action.STAFF_BOOK: frozenset({Reason.DEADLINE_OVERRIDE}),
}
# Actions only the mairie takes (reservations.decide); the others are the family's or the
# system's (payments, expired holds, the waiting list).
STAFF_ACTIONS = frozenset({Action.ACCEPT, Action.REFUSE, Action.CANCEL, Action.STAFF_BOOK})

# How long a held line waits for its payment: a family at its screen pays at once; a family
# told by e-mail (accepted, promoted, booked by staff) needs time to read it.
HOLD_AT_SCREEN = timedelta(minutes=15)
HOLD_BY_EMAIL = timedelta(hours=48)


def hold_for(action: Action) -> timedelta:
    """Return how long a line put in ``held`` by ``action`` keeps its place unpaid."""
    return HOLD_AT_SCREEN if action == Action.SUBMIT else HOLD_BY_EMAIL


# What a refused transition says, by the booking's state first, then by the action.
ALREADY_CANCELLED = "Cette réservation est déjà annulée."
ALREADY_REFUSED = "Cette réservation a été refusée par la mairie."
ALREADY_EXISTS = "Cette réservation existe déjà."
NOT_IN_CART = "Cette demande n'est plus dans le panier."
NOT_PENDING = "Seules les demandes en attente de validation peuvent être acceptées ou refusées."
NOT_HELD = "Cette réservation n'attend pas de paiement."
NOT_CANCELLABLE = "Seules les demandes validées peuvent être annulées."
NO_CANCEL_REQUEST = "Aucune demande d'annulation en cours pour ce jour."
STAFF_MOVE_REFUSED = "Une réservation « {old} » ne peut pas passer à « {new} »."
STATE_MESSAGES: Mapping[State | None, str] = {
    State.CANCELLED: ALREADY_CANCELLED,
    State.REFUSED: ALREADY_REFUSED,
    None: "Cette réservation n'existe pas.",
}
ACTION_MESSAGES: Mapping[Action, str] = {
    Action.ADD: ALREADY_EXISTS,
    Action.PROMOTE: ALREADY_EXISTS,
    Action.STAFF_BOOK: ALREADY_EXISTS,
    Action.SUBMIT: NOT_IN_CART,
    Action.ACCEPT: NOT_PENDING,
    Action.REFUSE: NOT_PENDING,
    Action.PAY: NOT_HELD,
    Action.RELEASE: NOT_HELD,
    Action.ASK_CANCEL: NOT_CANCELLABLE,
    Action.WITHDRAW_CANCEL: NO_CANCEL_REQUEST,
    Action.CONFIRM_CANCEL: NO_CANCEL_REQUEST,
    Action.CANCEL: ALREADY_CANCELLED,
}


class TransitionRefused(ReservationsError):
    """A booking cannot go where it was asked to; nothing changed."""

    def __init__(self, state: State | None, action: Action):
        self.state, self.action = state, action
        super().__init__(STATE_MESSAGES.get(state) or ACTION_MESSAGES[action])


def transition(
    state: State | None,
    action: Action,
    route: Route = Route(),
    *,
    previous: State | None = None,
) -> State:
    """Return the state ``action`` leads to from ``state`` (None: no booking yet).

    ``previous`` is the state a cancellation request was made from (the booking's history
    knows it); it is needed only to withdraw that request. Raises TransitionRefused.
    """
    target = TRANSITIONS.get((State(state) if state is not None else None, action))
    if target is None:
        raise TransitionRefused(state, action)
    if target is PREVIOUS:
        if previous not in PREVIOUS_STATES:
            raise TransitionRefused(state, action)
        return State(previous)
    if callable(target):
        return target(route)
    return target


# The moves staff make on an existing booking from the admin, and the reason of each.
STAFF_MOVES: Mapping[Action, Reason] = {
    Action.ACCEPT: Reason.APPROVAL,
    Action.REFUSE: Reason.STAFF_REFUSAL,
    Action.CANCEL: Reason.STAFF_CANCELLATION,
}


def staff_moves(state: State, route: Route) -> dict[State, Action]:
    """Return {new state: action} of the moves staff may make from ``state``."""
    moves = {}
    for action in STAFF_MOVES:
        try:
            moves[transition(state, action, route)] = action
        except TransitionRefused:
            continue
    return moves


def check_reason(action: Action, reason: Reason) -> None:
    """Raise ValueError when ``reason`` is not one ``action`` may be recorded with."""
    if reason not in REASONS[action]:
        raise ValueError(f"{action} ne se justifie pas par {reason}")
