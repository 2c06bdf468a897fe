"""The Vue Période grid and the cart panel, read from the database (reservations.selectors).

The clock stands still on Thursday 16/01/2025 10:00 in Paris, a school week of zone C (the
test collectivité alpha's): the 13th and 14th are gone, the 20th onwards can be booked.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import time_machine

from families.models import Foyer
from reservations.calendar import NO_SERVICE_ON, PUBLIC_HOLIDAY, SCHOOL_HOLIDAY
from reservations.exceptions import FULL
from reservations.lifecycle import State
from reservations.models import BillingMode, Closure, PrestationDay, Service, WaitingListEntry
from reservations.rules import BOOKING_CLOSED, BOOKING_PAST_DAY
from reservations.selectors.cells import ALREADY_VALIDATED, LEGEND, CellState
from reservations.selectors.grid import period_cells, period_grid
from reservations.selectors.options import foyer_with_children, service_options
from tests.factories import BookingFactory, ChildFactory, UserFactory, WaitingListEntryFactory
from tests.reservations.conftest import MONDAY, NOW, book, day, foyer_of, others_book, site_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def grid_for(foyer: Foyer, *, start=MONDAY, weeks=4, child=None, service_index=0):
    foyer = Foyer.objects.prefetch_related("children").get(pk=foyer.pk)
    options = service_options()
    return period_grid(
        foyer=foyer,
        child=child or foyer.children.all()[0],
        service=options[service_index],
        start=start,
        weeks=weeks,
        now=NOW,
        services=options,
    )


def cells(grid) -> dict:
    """Return {(prestation name, day): cell} over the whole grid."""
    return {
        (cell.prestation.name, cell.day): cell
        for week in grid.weeks
        for row in week.rows
        for cell in row.cells
    }


def test_grid_has_weeks_of_five_days_and_the_prestations_in_display_order(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site_of()
        foyer = foyer_of()
        grid = grid_for(foyer, start=day("15/01"))  # a Wednesday: its Monday starts the grid
    assert grid.start == MONDAY
    assert [w.title for w in grid.weeks] == [
        "Semaine 3 du 13/01/2025 au 17/01/2025",
        "Semaine 4 du 20/01/2025 au 24/01/2025",
        "Semaine 5 du 27/01/2025 au 31/01/2025",
        "Semaine 6 du 03/02/2025 au 07/02/2025",
    ]
    first = grid.weeks[0]
    assert [c.letter for c in first.columns] == ["L", "M", "M", "J", "V"]
    assert [c.day for c in first.columns] == [MONDAY + timedelta(days=n) for n in range(5)]
    assert [r.prestation.name for r in first.rows] == ["CANTINE", "UNITE DE GARDERIE MATIN"]
    assert (grid.previous_start, grid.next_start) == (date(2024, 12, 16), day("10/02"))
    assert grid.today_start == MONDAY


def test_every_state_of_a_cell(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site = site_of()
        foyer = foyer_of()
        child = foyer.children.get()
        cantine, garderie = site.cantine, site.garderie
        book(child, cantine, day("23/01"), State.CART)
        book(child, cantine, day("24/01"), State.VALIDATED)
        book(child, cantine, day("27/01"), State.PENDING_APPROVAL)
        book(
            child,
            cantine,
            day("28/01"),
            State.HELD,
            held_until=NOW + timedelta(minutes=5),
        )
        book(child, cantine, day("30/01"), State.CANCEL_REQUESTED)
        book(child, cantine, day("20/01"), State.CANCELLED)  # frees the day again
        others_book(cantine, day("31/01"), 2)  # full: 2 places taken of 2
        PrestationDay.objects.create(prestation=cantine, day=day("03/02"), capacity=0)
        PrestationDay.objects.create(prestation=garderie, day=day("03/02"), capacity=25)
        # An expired hold frees its place; a pending request takes one.
        others_book(cantine, day("04/02"), 1, State.PENDING_APPROVAL)
        BookingFactory(
            prestation=cantine,
            day=day("04/02"),
            state=State.HELD,
            held_until=NOW - timedelta(minutes=1),
        )
        Closure.objects.create(
            service=site.service, start=day("06/02"), end=day("06/02"), reason="Grève"
        )
        Closure.objects.create(
            service=site.service, start=day("07/02"), end=day("07/02"), reason="Sortie"
        ).prestations.add(garderie)
        grid = cells(grid_for(foyer))

    def state(name, text):
        return grid[(name, day(text))].state

    assert state("CANTINE", "14/01") == CellState.LOCKED
    assert grid[("CANTINE", day("14/01"))].reason == BOOKING_PAST_DAY.format(day="14/01/2025")
    assert state("CANTINE", "15/01") == CellState.CLOSED
    assert grid[("CANTINE", day("15/01"))].reason == NO_SERVICE_ON.format(weekday="mercredi")
    assert state("UNITE DE GARDERIE MATIN", "15/01") == CellState.LOCKED
    assert state("CANTINE", "20/01") == CellState.BOOKABLE
    assert grid[("CANTINE", day("21/01"))].remaining == 2
    assert state("CANTINE", "23/01") == CellState.IN_CART
    assert state("CANTINE", "24/01") == CellState.VALIDATED
    assert grid[("CANTINE", day("24/01"))].reason == ALREADY_VALIDATED
    assert state("CANTINE", "27/01") == CellState.PENDING
    assert state("CANTINE", "28/01") == CellState.HELD
    assert state("CANTINE", "30/01") == CellState.CANCEL_REQUESTED
    assert state("CANTINE", "31/01") == CellState.FULL
    assert grid[("CANTINE", day("31/01"))].reason == FULL
    assert state("UNITE DE GARDERIE MATIN", "31/01") == CellState.BOOKABLE
    assert state("CANTINE", "03/02") == CellState.FULL  # capacity 0 that day
    assert grid[("UNITE DE GARDERIE MATIN", day("03/02"))].remaining == 25
    assert grid[("CANTINE", day("04/02"))].remaining == 1
    assert grid[("CANTINE", day("06/02"))].reason == "Fermeture : Grève"
    assert state("UNITE DE GARDERIE MATIN", "06/02") == CellState.CLOSED
    assert state("UNITE DE GARDERIE MATIN", "07/02") == CellState.CLOSED
    assert state("CANTINE", "07/02") == CellState.BOOKABLE
    assert {c.state for c in grid.values()} == set(CellState)
    assert {style.state for style in LEGEND} == set(CellState)


def test_cells_speak_for_screen_readers(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site = site_of()
        foyer = foyer_of()
        others_book(site.cantine, day("23/01"), 1)
        grid = cells(grid_for(foyer))
    assert grid[("CANTINE", day("21/01"))].aria_label == (
        "CANTINE, mardi 21/01 : réservable, 2 places restantes"
    )
    assert grid[("CANTINE", day("23/01"))].aria_label == (
        "CANTINE, jeudi 23/01 : réservable, 1 place restante"
    )
    assert grid[("CANTINE", day("22/01"))].aria_label == (
        "CANTINE, mercredi 22/01 : fermé (Pas de service le mercredi)"
    )
    assert grid[("CANTINE", day("14/01"))].aria_label.startswith(
        "CANTINE, mardi 14/01 : réservation close (Réservation impossible"
    )


def test_public_and_school_holidays_are_closed(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site_of()
        foyer = foyer_of()
        autumn = cells(grid_for(foyer, start=date(2024, 11, 11), weeks=1))
        winter = cells(grid_for(foyer, start=day("17/02"), weeks=1))  # zone C: from the 15th
    armistice = autumn[("CANTINE", date(2024, 11, 11))]
    assert armistice.state == CellState.CLOSED
    assert armistice.reason == PUBLIC_HOLIDAY.format(name="Armistice")
    assert autumn[("CANTINE", date(2024, 11, 12))].state == CellState.LOCKED  # gone by
    assert {c.state for c in winter.values()} == {CellState.CLOSED}
    assert {c.reason for c in winter.values()} == {SCHOOL_HOLIDAY}


def test_a_service_open_during_school_holidays_can_be_booked_then(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site_of(name="ACCUEIL DE LOISIRS", closed_during_school_holidays=False)
        foyer = foyer_of()
        winter = cells(grid_for(foyer, start=day("17/02"), weeks=1))
    assert winter[("CANTINE", day("17/02"))].state == CellState.BOOKABLE
    assert winter[("CANTINE", day("19/02"))].state == CellState.CLOSED  # still no Wednesday


def test_a_deadline_locks_the_cell_with_its_reason(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site = site_of()
        # « Mardi avant 12h pour la semaine n+1 »: at NOW (Thursday 16/01) week 4 is closed.
        site.cantine.booking_rule, site.cantine.rule_weekday = "weekly", 2
        site.cantine.rule_time = time(12)
        site.cantine.save()
        foyer = foyer_of()
        grid = cells(grid_for(foyer, start=day("20/01"), weeks=2))
    locked = grid[("CANTINE", day("21/01"))]
    assert (locked.state, locked.reason) == (
        CellState.LOCKED,
        BOOKING_CLOSED.format(when="mardi 14/01/2025 à 12h00"),
    )
    assert grid[("CANTINE", day("27/01"))].state == CellState.BOOKABLE
    assert grid[("UNITE DE GARDERIE MATIN", day("21/01"))].state == CellState.BOOKABLE
    assert grid[("CANTINE", day("22/01"))].state == CellState.CLOSED  # closed before late


def test_the_waiting_rank_is_first_come_first_served(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site = site_of()
        foyer = foyer_of()
        child = foyer.children.get()
        others_book(site.cantine, day("21/01"), 2)
        ours = WaitingListEntryFactory(child=child, prestation=site.cantine, day=day("21/01"))
        earlier = WaitingListEntryFactory(prestation=site.cantine, day=day("21/01"))
        # Written later (a larger id) but in line earlier: the rank follows the time.
        WaitingListEntry.objects.filter(pk=earlier.pk).update(
            created_at=ours.created_at - timedelta(seconds=1)
        )
        cell = cells(grid_for(foyer, start=day("20/01"), weeks=1))[("CANTINE", day("21/01"))]
    assert earlier.pk > ours.pk
    assert (cell.state, cell.waiting_position, cell.figure) == (CellState.FULL, 2, "2e")


def test_the_cart_counts_lines_per_child_and_prestation_across_services(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site = site_of(order=1)
        regie = site_of(
            name="REGIE CANTINE - prépaiement", mode=BillingMode.PREPAIEMENT, price=Decimal("2.55")
        )
        foyer = foyer_of(children=2)
        first, second = foyer.children.all()
        for text in ("21/01", "23/01"):
            book(second, regie.cantine, day(text), State.CART)
        book(second, regie.cantine, day("13/01"), State.CANCEL_REQUESTED)
        for text in ("20/01", "21/01", "23/01"):
            book(first, site.cantine, day(text), State.CART)
        book(first, regie.garderie, day("20/01"), State.CART)
        book(second, site.cantine, day("10/03"), State.CART)  # outside the window
        book(second, site.cantine, day("11/03"), State.VALIDATED)  # not in the cart
        until = NOW + timedelta(minutes=12)
        book(
            second,
            regie.cantine,
            day("24/01"),
            State.HELD,
            held_until=until,
        )
        book(
            second,
            regie.cantine,
            day("27/01"),
            State.HELD,
            held_until=NOW,
        )  # expired
        book(ChildFactory(), site.cantine, day("24/01"), State.CART)  # another foyer's
        grid = grid_for(foyer, service_index=1)
    cart = grid.cart
    assert [(entry.name, [(line.count, line.prestation.name) for line in entry.lines])
            for entry in cart.children] == [
        ("Enfant0 MARTIN", [(1, "UNITE DE GARDERIE MATIN"), (3, "CANTINE")]),
        ("Enfant1 MARTIN", [(2, "CANTINE"), (1, "CANTINE"), (1, "CANTINE")]),
    ]  # fmt: skip
    assert cart.children[0].lines[0].prestation.service.name == "REGIE CANTINE - prépaiement"
    # The cancellation comes last; BRENS (post-facturation) after the régie.
    assert [line.cancellation for line in cart.children[1].lines] == [False, False, True]
    assert cart.count == 8
    # 3 prépaiement lines at 2,55 € (seed 004); cancellations and post-facturation are free.
    assert cart.total == Decimal("7.65")
    assert (cart.held_count, cart.held_until) == (1, until)


def test_an_empty_cart_and_the_selectors_of_children_and_services(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site_of(order=1)
        site_of(name="REGIE CANTINE - prépaiement", mode=BillingMode.PREPAIEMENT)
        Service.objects.create(name="SANS PRESTATION", billing_mode=BillingMode.PREPAIEMENT)
        foyer = foyer_of(children=2)
        second = foyer.children.all()[1]
        grid = grid_for(foyer, child=second, service_index=1)
    assert grid.cart.is_empty and grid.cart.count == 0
    assert [(c.name, c.details, c.selected) for c in grid.children] == [
        ("Enfant0 MARTIN", "01/09/2017 - CE1", False),
        ("Enfant1 MARTIN", "02/09/2017 - Sans classe", True),
    ]
    assert [(s.option.name, s.selected) for s in grid.services] == [
        ("REGIE CANTINE - prépaiement", False),
        ("BRENS - postfacturation", True),
    ]


def test_period_cells_are_the_grids_cells_with_the_cart(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        site = site_of()
        foyer = Foyer.objects.prefetch_related("children").get(pk=foyer_of().pk)
        child = foyer.children.all()[0]
        book(child, site.cantine, day("23/01"), State.CART)
        grid = cells(grid_for(foyer))
        for text in ("14/01", "15/01", "21/01", "23/01"):
            one = period_cells(
                foyer=foyer, child=child, prestation=site.cantine, days=[day(text)], now=NOW
            )
            assert one.cells == {day(text): grid[("CANTINE", day(text))]}
            assert one.cart.count == 1


def test_the_cart_shows_a_sibling_s_lines_whether_or_not_the_children_were_loaded(
    tenant_a, in_tenant, django_assert_num_queries
):
    # The foyer's children go into the bookings statement as a list when the page loaded
    # them, as a subquery when it did not (never a query of its own): the cart is the same.
    # Unloaded, the cart reads the children once more to name them.
    with in_tenant(tenant_a):
        site = site_of()
        loaded = Foyer.objects.prefetch_related("children").get(pk=foyer_of(children=2).pk)
        first, second = loaded.children.all()
        book(second, site.garderie, day("23/01"), State.CART)
        for foyer, queries in ((loaded, 3), (Foyer.objects.get(pk=loaded.pk), 4)):
            with django_assert_num_queries(queries):
                view = period_cells(
                    foyer=foyer, child=first, prestation=site.cantine, days=[day("23/01")], now=NOW
                )
            assert view.cart.count == 1


@pytest.mark.parametrize("weeks", [1, 8])
@pytest.mark.parametrize("children", [1, 4])
def test_the_grid_runs_three_queries_whatever_the_weeks_and_children(
    weeks, children, tenant_a, in_tenant, django_assert_num_queries
):
    with in_tenant(tenant_a):
        site = site_of()
        foyer = foyer_of(children=children)
        for index, child in enumerate(foyer.children.all()):
            for week in range(8):
                on = day("20/01") + timedelta(weeks=week, days=index % 2)
                book(child, site.cantine, on, State.CART)
                book(child, site.garderie, on, State.VALIDATED)
        others_book(site.cantine, day("31/01"), 2)
        PrestationDay.objects.create(prestation=site.cantine, day=day("03/02"), capacity=0)
        Closure.objects.create(
            service=site.service, start=day("06/02"), end=day("06/02"), reason="Grève"
        )
        foyer = Foyer.objects.prefetch_related("children").get(pk=foyer.pk)
        options = service_options()
        # The child's bookings with the foyer's cart, the places taken with the capacity
        # overrides (one UNION ALL), the closures.
        with django_assert_num_queries(3):
            grid = period_grid(
                foyer=foyer,
                child=foyer.children.all()[0],
                service=options[0],
                start=MONDAY,
                weeks=weeks,
                now=NOW,
                services=options,
            )
    assert len(grid.weeks) == weeks
    assert grid.cart.count == 8 * children


def test_services_and_foyer_loads_are_one_and_two_queries(
    tenant_a, in_tenant, django_assert_num_queries
):
    with in_tenant(tenant_a):
        site_of()
        site_of(name="AUTRE SITE")
        foyer = foyer_of(children=3)
        with django_assert_num_queries(1):
            options = service_options()
        assert [len(o.prestations) for o in options] == [2, 2]
        user = UserFactory()
        assert foyer_with_children(user=user) is None
        foyer.user = user
        foyer.save()
        with django_assert_num_queries(2):
            loaded = foyer_with_children(user=user)
            assert [c.first_name for c in loaded.children.all()] == [
                "Enfant0",
                "Enfant1",
                "Enfant2",
            ]
