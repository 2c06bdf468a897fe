"""The booking lifecycle table, on its own: every (state, action, route), no database."""

from __future__ import annotations

import itertools
from collections import deque
from datetime import timedelta

import pytest

from reservations.lifecycle import (
    ALREADY_CANCELLED,
    ALREADY_REFUSED,
    REASONS,
    STAFF_ACTIONS,
    Action,
    Reason,
    Route,
    State,
    TransitionRefused,
    check_reason,
    hold_for,
    staff_moves,
    transition,
)

C, H, P, V, R, X, F = (
    State.CART,
    State.HELD,
    State.PENDING_APPROVAL,
    State.VALIDATED,
    State.CANCEL_REQUESTED,
    State.CANCELLED,
    State.REFUSED,
)
ROUTES = {
    "plain": Route(),
    "approval": Route(approval=True),
    "prepaid": Route(prepaid=True),
    "both": Route(approval=True, prepaid=True),
}
# The specification, written out: (state, action) → new state per route (plain, approval,
# prepaid, both), or one state for all. Every pair absent here must be refused.
EXPECTED = {
    (None, Action.ADD): C,
    (None, Action.PROMOTE): (V, P, H, P),
    (None, Action.STAFF_BOOK): (V, V, H, H),
    (C, Action.SUBMIT): (V, P, H, P),
    (C, Action.CANCEL): X,
    (P, Action.ACCEPT): (V, V, H, H),
    (P, Action.REFUSE): F,
    (P, Action.ASK_CANCEL): R,
    (P, Action.CANCEL): X,
    (H, Action.PAY): V,
    (H, Action.RELEASE): X,
    (H, Action.CANCEL): X,
    (V, Action.ASK_CANCEL): R,
    (V, Action.CANCEL): X,
    (R, Action.CONFIRM_CANCEL): X,
    (R, Action.CANCEL): X,
    # (R, WITHDRAW_CANCEL) goes back to the state before the request: tested below.
}
ALL_STATES = [None, *State]


@pytest.mark.parametrize(("state", "action"), list(itertools.product(ALL_STATES, Action)))
@pytest.mark.parametrize("route_name", ROUTES)
def test_every_pair_is_the_specified_move_or_refused_in_french(state, action, route_name):
    route = ROUTES[route_name]
    if (state, action) == (R, Action.WITHDRAW_CANCEL):
        return
    expected = EXPECTED.get((state, action))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            transition(state, action, route)
        message = refused.value.message
        assert message.endswith(".") and message[0].isupper()
        assert (refused.value.state, refused.value.action) == (state, action)
    else:
        if isinstance(expected, tuple):
            expected = expected[list(ROUTES).index(route_name)]
        assert transition(state, action, route) == expected


@pytest.mark.parametrize("action", list(Action))
def test_a_final_booking_refuses_everything_and_says_so(action):
    for state, message in ((X, ALREADY_CANCELLED), (F, ALREADY_REFUSED)):
        with pytest.raises(TransitionRefused, match=message):
            transition(state, action, Route(approval=True, prepaid=True))


def test_forged_moves_say_what_is_wrong():
    with pytest.raises(TransitionRefused, match=ALREADY_CANCELLED):
        transition(X, Action.CANCEL)
    with pytest.raises(TransitionRefused, match="refusée par la mairie"):
        transition(F, Action.ACCEPT)
    with pytest.raises(TransitionRefused, match="Seules les demandes en attente"):
        transition(V, Action.ACCEPT)
    with pytest.raises(TransitionRefused, match="n'attend pas de paiement"):
        transition(V, Action.PAY)
    with pytest.raises(TransitionRefused, match="existe déjà"):
        transition(V, Action.ADD)


def test_a_withdrawn_cancellation_request_returns_to_where_it_was():
    assert transition(R, Action.WITHDRAW_CANCEL, previous=V) == V
    assert transition(R, Action.WITHDRAW_CANCEL, previous=P) == P
    for previous in (None, C, H, X, F, R):
        with pytest.raises(TransitionRefused, match="Aucune demande d'annulation"):
            transition(R, Action.WITHDRAW_CANCEL, previous=previous)


def _reachable(route: Route, *, without: frozenset[Action]) -> set[State]:
    """Every state a booking can reach from nothing, never taking the ``without`` actions."""
    seen: set[tuple[State | None, State | None]] = set()
    queue = deque([(None, None)])  # (state, the state before a cancellation request)
    while queue:
        state, before = queue.popleft()
        for action in set(Action) - without:
            try:
                new = transition(state, action, route, previous=before)
            except TransitionRefused:
                continue
            node = (new, state if new == R else before)
            if node not in seen:
                seen.add(node)
                queue.append(node)
    return {state for state, _ in seen}


@pytest.mark.parametrize("route_name", ["approval", "both"])
def test_approval_comes_first_nothing_is_validated_or_paid_for_without_the_mairie(route_name):
    route = ROUTES[route_name]
    reachable = _reachable(route, without=frozenset({Action.ACCEPT, Action.STAFF_BOOK}))
    assert V not in reachable and H not in reachable
    # With the mairie's accept, the booking goes on: held to pay, or validated.
    assert (H if route.prepaid else V) in _reachable(route, without=frozenset({Action.STAFF_BOOK}))


@pytest.mark.parametrize("route_name", ["prepaid", "both"])
def test_a_prepaid_booking_is_validated_only_by_its_payment(route_name):
    route = ROUTES[route_name]
    assert V not in _reachable(route, without=frozenset({Action.PAY}))
    assert V in _reachable(route, without=frozenset())


def test_every_action_has_its_reasons_and_no_other():
    assert set(REASONS) == set(Action)
    assert set().union(*REASONS.values()) == set(Reason)
    check_reason(Action.CANCEL, Reason.JUSTIFIED_ABSENCE)
    check_reason(Action.CANCEL, Reason.CLOSURE)
    check_reason(Action.RELEASE, Reason.PAYMENT_FAILED)
    with pytest.raises(ValueError):
        check_reason(Action.CANCEL, Reason.PARENT)  # a parent cancels by a request
    with pytest.raises(ValueError):
        check_reason(Action.REFUSE, Reason.STAFF_CANCELLATION)


def test_staff_moves_are_the_staff_actions_from_each_state():
    assert staff_moves(P, Route()) == {V: Action.ACCEPT, F: Action.REFUSE, X: Action.CANCEL}
    assert staff_moves(P, Route(prepaid=True))[H] == Action.ACCEPT
    assert staff_moves(V, Route()) == {X: Action.CANCEL}
    assert staff_moves(X, Route()) == {}
    assert {Action.ACCEPT, Action.REFUSE, Action.CANCEL, Action.STAFF_BOOK} == STAFF_ACTIONS


def test_holds_last_while_the_family_can_pay():
    assert hold_for(Action.SUBMIT) == timedelta(minutes=15)  # at the screen
    for action in (Action.ACCEPT, Action.PROMOTE, Action.STAFF_BOOK):  # told by e-mail
        assert hold_for(action) == timedelta(hours=48)


def test_states_and_reasons_speak_french():
    assert State.CANCELLED.label == "Annulée"
    assert State("pending").label == "En attente de validation par la mairie"
    assert dict(Reason.choices())["justified_absence"] == "Absence justifiée"
    assert State.CART == "cart" and str(State.HELD) == "held"
