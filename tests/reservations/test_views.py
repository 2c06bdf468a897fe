"""« Mes réservations »: the Vue Période page, a click on a cell, « Valider » and « Vider ».

The clock stands still on Thursday 16/01/2025 10:00 in Paris (see test_selectors): the grid
opens on Monday 13/01, whose first two days are gone.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from decimal import Decimal
from html import escape, unescape
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from portal.decorators import NOT_A_FAMILY_HERE
from reservations import views
from reservations.exceptions import FULL, SLOTS_OVERLAP_NAMED, CartEmpty
from reservations.lifecycle import State
from reservations.models import BillingMode, Booking, Prestation, PrestationKind
from reservations.rules import BOOKING_PAST_DAY
from reservations.selectors.cells import LEGEND, CellState
from reservations.services import cell as clicks
from reservations.services.cart import cancel_request
from tenants.services import adhesion_add
from tests.factories import ChildFactory, PrestationFactory, UserFactory
from tests.reservations.conftest import (
    MONDAY,
    NOW,
    Family,
    Site,
    book,
    day,
    family_of,
    others_book,
    site_of,
)

pytestmark = pytest.mark.django_db

INDEX = reverse("reservations:index")
TOGGLE = reverse("reservations:toggle")
VALIDATE = reverse("reservations:validate")
CLEAR = reverse("reservations:clear")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def site(tenant_a, in_tenant) -> Site:
    with in_tenant(tenant_a):
        return site_of()


@pytest.fixture
def family(tenant_a, in_tenant, client_a) -> Family:
    """A family of alpha with one child, logged in on alpha's client."""
    result = family_of(tenant_a, in_tenant)
    client_a.force_login(result.user)
    return result


def cell_html(body: str, prestation: Prestation, on: date) -> str:
    match = re.search(
        rf'<div id="cellule-{prestation.pk}-{on:%Y%m%d}"[^>]*>.*?</div>', body, re.DOTALL
    )
    assert match, f"no cell for {prestation} on {on}"
    return match.group(0)


def cell_state(body: str, prestation: Prestation, on: date) -> str:
    return re.search(r'data-state="(\w+)"', cell_html(body, prestation, on)).group(1)


def click(client, child, prestation, on, *, htmx=True, start=MONDAY):
    data = {
        "child": child.pk,
        "prestation": prestation.pk,
        "day": on.isoformat(),
        "debut": start.isoformat(),
    }
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(TOGGLE, data, **extra)


def page(client, **params) -> str:
    response = client.get(INDEX, params)
    assert response.status_code == 200
    return response.content.decode()


def bookings(in_tenant, tenant, **filters) -> list[tuple[date, str]]:
    with in_tenant(tenant):
        return sorted(Booking.objects.filter(**filters).values_list("day", "state"))


# The page


def test_the_grid_shows_each_kind_of_cell(family, site, client_a, tenant_a, in_tenant):
    child = family.children[0]
    with in_tenant(tenant_a):
        book(child, site.cantine, day("23/01"), State.CART)
        book(child, site.cantine, day("24/01"), State.VALIDATED)
        others_book(site.cantine, day("31/01"), 2)
    body = page(client_a)
    cantine = site.cantine
    assert cell_state(body, cantine, day("15/01")) == CellState.CLOSED
    assert "..." in cell_html(body, cantine, day("15/01"))
    assert "<button" not in cell_html(body, cantine, day("15/01"))
    assert cell_state(body, cantine, day("14/01")) == CellState.LOCKED
    assert escape(BOOKING_PAST_DAY.format(day="14/01/2025")) in cell_html(
        body, cantine, day("14/01")
    )
    bookable = cell_html(body, cantine, day("21/01"))
    assert cell_state(body, cantine, day("21/01")) == CellState.BOOKABLE
    assert 'aria-label="CANTINE, mardi 21/01 : réservable, 2 places restantes"' in unescape(
        bookable
    )
    assert "aria-disabled" not in bookable
    assert cell_state(body, cantine, day("23/01")) == CellState.IN_CART
    validated = cell_html(body, cantine, day("24/01"))
    assert cell_state(body, cantine, day("24/01")) == CellState.VALIDATED
    assert "demande validée" in validated
    assert "aria-disabled" not in validated  # a click asks for its cancellation
    assert 'aria-disabled="true"' in cell_html(body, cantine, day("14/01"))  # locked
    assert cell_state(body, cantine, day("31/01")) == CellState.FULL
    assert cell_state(body, site.garderie, day("31/01")) == CellState.BOOKABLE
    # The cart panel, the legend, htmx loaded by this page only.
    assert "Vos demandes sont en cours" in body
    assert "1 CANTINE" in body
    for style in LEGEND:
        assert escape(style.label.capitalize()) in body
    assert "vendor/htmx/htmx.min.js" in body


def test_the_page_names_the_weeks_the_child_and_the_service(
    family, site, client_a, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        site_of(name="REGIE CANTINE - prépaiement", mode=BillingMode.PREPAIEMENT, order=1)
        second = ChildFactory(
            foyer=family.foyer, first_name="Léa", classe="", birth_date=date(2019, 3, 2)
        )
    body = page(client_a)
    assert "Semaine 3 du 13/01/2025 au 17/01/2025" in body
    assert "Semaine 6 du 03/02/2025 au 07/02/2025" in body
    assert "Semaine 7" not in body
    assert "Enfant0 MARTIN" in body and "01/09/2017 - CE1" in body
    assert "Léa MARTIN" in body and "02/03/2019 - Sans classe" in body
    assert "BRENS - postfacturation" in body and "REGIE CANTINE - prépaiement" in body
    assert "Votre panier est vide" in body
    assert 'aria-current="page"' in body
    # The default is the first child and service; « debut » snaps to its Monday.
    body = page(client_a, enfant=second.pk, service=site.service.pk, debut="2025-02-12")
    assert "Semaine 7 du 10/02/2025 au 14/02/2025" in body
    assert f'name="child" value="{second.pk}"' in body
    assert f"enfant={second.pk}&amp;service={site.service.pk}&amp;debut=2025-01-13" in body
    assert f"enfant={second.pk}&amp;service={site.service.pk}&amp;debut=2025-03-10" in body
    assert "Précédent" in body and "Aujourd'hui" in body and "Suivant" in body
    # A date that is not one is ignored: the grid opens on this week.
    assert "Semaine 3 du 13/01/2025" in page(client_a, debut="13/01/2025")


def test_a_family_without_children_or_services_is_told_so(tenant_a, in_tenant, client_a, family):
    assert "Aucune prestation" in page(client_a)
    childless = family_of(tenant_a, in_tenant, children=0, name="SEUL")
    client_a.force_login(childless.user)
    assert "Aucun enfant" in page(client_a)


# A click on a cell


def test_a_click_puts_a_bookable_day_in_the_cart_and_a_second_takes_it_out(
    family, site, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    response = click(client_a, child, site.cantine, day("21/01"))
    assert response.status_code == 200
    assert response["Vary"].count("HX-Request") == 1
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div id="cellule-{site.cantine.pk}-20250121"')
    assert cell_state(html, site.cantine, day("21/01")) == CellState.IN_CART
    assert f'id="bouton-{site.cantine.pk}-20250121"' in html  # htmx keeps the focus on it
    assert '<section id="panier"' in html and 'data-hx-swap-oob="true"' in html
    assert "1 CANTINE" in html
    assert 'id="annonce-grille" data-hx-swap-oob="innerHTML"' in html
    assert escape(clicks.ADDED.format(name="CANTINE", day=day("21/01"))) in html
    assert "<html" not in html
    assert bookings(in_tenant, tenant_a, child=child) == [(day("21/01"), State.CART)]

    html = click(client_a, child, site.cantine, day("21/01")).content.decode()
    assert cell_state(html, site.cantine, day("21/01")) == CellState.BOOKABLE
    assert "Votre panier est vide" in html
    assert escape(clicks.REMOVED.format(name="CANTINE", day=day("21/01"))) in html
    assert bookings(in_tenant, tenant_a, child=child) == []


def test_without_htmx_a_click_redirects_to_the_grid_with_a_message(
    family, site, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    response = click(client_a, child, site.cantine, day("21/01"), htmx=False, start=day("20/01"))
    assert response.status_code == 302
    assert response["Location"] == (
        f"{INDEX}?enfant={child.pk}&service={site.service.pk}&debut=2025-01-20"
        f"#cellule-{site.cantine.pk}-20250121"
    )
    body = client_a.get(response["Location"]).content.decode()
    assert escape(clicks.ADDED.format(name="CANTINE", day=day("21/01"))) in body
    assert cell_state(body, site.cantine, day("21/01")) == CellState.IN_CART
    # Every cell is a button of the grid's one form, which works without JavaScript.
    form = re.search(r'<form id="grille"[^>]*>', body).group(0)
    assert 'method="post"' in form and f'action="{TOGGLE}"' in form
    assert body.count("csrfmiddlewaretoken") == 4  # logout, the grid, Valider, Vider
    button = cell_html(body, site.cantine, day("21/01"))
    assert f'name="cell" value="{site.cantine.pk}-20250121"' in button


def test_a_click_on_a_locked_cell_says_why(family, site, client_a, tenant_a, in_tenant):
    child = family.children[0]
    html = click(client_a, child, site.cantine, day("14/01")).content.decode()
    assert cell_state(html, site.cantine, day("14/01")) == CellState.LOCKED
    reason = BOOKING_PAST_DAY.format(day="14/01/2025")
    assert 'class="alert alert-warning alert-dismissible' in html
    assert f'<p class="mb-0">{escape(reason)}</p>' in html
    assert bookings(in_tenant, tenant_a, child=child) == []


def test_a_click_on_a_validated_cell_asks_for_its_cancellation_and_back(
    family, site, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    with in_tenant(tenant_a):
        book(child, site.cantine, day("24/01"), State.VALIDATED)
    html = click(client_a, child, site.cantine, day("24/01")).content.decode()
    assert cell_state(html, site.cantine, day("24/01")) == CellState.CANCEL_REQUESTED
    assert escape(clicks.CANCEL_ASKED.format(name="CANTINE", day=day("24/01"))) in html
    assert bookings(in_tenant, tenant_a, child=child) == [(day("24/01"), State.CANCEL_REQUESTED)]
    html = click(client_a, child, site.cantine, day("24/01")).content.decode()
    assert cell_state(html, site.cantine, day("24/01")) == CellState.VALIDATED
    assert bookings(in_tenant, tenant_a, child=child) == [(day("24/01"), State.VALIDATED)]


def test_a_click_on_a_full_cell_joins_the_waiting_list(family, site, client_a, tenant_a, in_tenant):
    from reservations.models import WaitingListEntry

    child = family.children[0]
    with in_tenant(tenant_a):
        others_book(site.cantine, day("31/01"), 2)
        first = WaitingListEntry.objects.create(
            child=ChildFactory(), prestation=site.cantine, day=day("31/01")
        )
    html = click(client_a, child, site.cantine, day("31/01")).content.decode()
    assert cell_state(html, site.cantine, day("31/01")) == CellState.FULL
    text = clicks.WAITLIST_JOINED.format(name="CANTINE", day=day("31/01"), position=2)
    assert escape(text) in html
    # The cell shows the child's rank, in words for screen readers too.
    cell = cell_html(html, site.cantine, day("31/01"))
    assert '<span class="ef-places" aria-hidden="true">2e</span>' in cell
    assert "complet, 2e sur la liste d&#x27;attente" in cell
    with in_tenant(tenant_a):
        assert WaitingListEntry.objects.filter(child=child, day=day("31/01")).count() == 1
        # The first in line got a place elsewhere: the child moves up.
        first.delete()
    cell = cell_html(page(client_a), site.cantine, day("31/01"))
    assert '<span class="ef-places" aria-hidden="true">1er</span>' in cell
    # A second click leaves the line.
    html = click(client_a, child, site.cantine, day("31/01")).content.decode()
    assert escape(clicks.WAITLIST_LEFT.format(name="CANTINE", day=day("31/01"))) in html
    assert "ef-places" not in cell_html(html, site.cantine, day("31/01"))
    with in_tenant(tenant_a):
        assert not WaitingListEntry.objects.filter(child=child).exists()


def test_a_refusal_of_the_service_leaves_the_cell_as_it_was(
    family, site, client_a, tenant_a, in_tenant
):
    # Garderie soir T1 is in the cart: T2, whose hours overlap it, cannot join it.
    child = family.children[0]
    with in_tenant(tenant_a):
        t1 = PrestationFactory(service=site.service, soir_t1=True, display_order=3)
        t2 = PrestationFactory(service=site.service, soir_t2=True, display_order=4)
        book(child, t1, day("21/01"), State.CART)
    refusal = SLOTS_OVERLAP_NAMED.format(name=t2.name, other=t1.name)
    html = click(client_a, child, t2, day("21/01")).content.decode()
    assert cell_state(html, t2, day("21/01")) == CellState.BOOKABLE
    assert "alert-danger" in html and escape(refusal) in html
    response = click(client_a, child, t2, day("21/01"), htmx=False)
    body = client_a.get(response["Location"]).content.decode()
    assert escape(refusal) in body
    assert bookings(in_tenant, tenant_a, child=child) == [(day("21/01"), State.CART)]


def test_a_click_on_a_forfait_books_its_whole_week(family, client_a, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        forfait = site_of().garderie
        forfait.kind, forfait.forfait_period = PrestationKind.FORFAIT, "week"
        forfait.save()
    html = click(client_a, family.children[0], forfait, day("22/01")).content.decode()
    assert cell_state(html, forfait, day("22/01")) == CellState.IN_CART
    for text in ("20/01", "21/01", "23/01", "24/01"):  # swapped out of band
        assert f'id="cellule-{forfait.pk}-2025{text[3:]}{text[:2]}"' in html
        assert cell_state(html, forfait, day(text)) == CellState.IN_CART
    assert "5 UNITE DE GARDERIE MATIN" in html
    assert "5 jours ajoutés à votre panier, du 20/01/2025 au 24/01/2025" in html


# « Valider » and « Vider »


def test_validating_turns_the_cart_into_demandes_validees(
    family, site, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    for text in ("21/01", "23/01"):
        click(client_a, child, site.cantine, day(text))
    back = {"enfant": child.pk, "service": site.service.pk, "debut": "2025-01-20"}
    response = client_a.post(VALIDATE, back)
    assert response.status_code == 302
    assert response["Location"] == (
        f"{INDEX}?enfant={child.pk}&service={site.service.pk}&debut=2025-01-20"
    )
    body = client_a.get(response["Location"]).content.decode()
    assert views.VALIDATED in body
    for text in ("21/01", "23/01"):
        assert cell_state(body, site.cantine, day(text)) == CellState.VALIDATED
        assert "demande validée" in cell_html(body, site.cantine, day(text))
    assert "Votre panier est vide" in body
    assert bookings(in_tenant, tenant_a, child=child) == [
        (day("21/01"), State.VALIDATED),
        (day("23/01"), State.VALIDATED),
    ]


def test_a_prepaiement_cart_shows_its_total_and_how_long_places_are_held(
    family, client_a, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        regie = site_of(
            name="REGIE CANTINE - prépaiement", mode=BillingMode.PREPAIEMENT, price=Decimal("2.55")
        )
    child = family.children[0]
    for text in ("20/01", "21/01"):
        click(client_a, child, regie.cantine, day(text))
    html = click(client_a, child, regie.cantine, day("23/01")).content.decode()
    assert "3 CANTINE" in html and "Total à payer : 7,65 €" in html
    # « Valider » hands the held lines to their payment page (billing's order).
    location = client_a.post(VALIDATE)["Location"]
    assert location.startswith("/factures/commandes/")
    body = unescape(client_a.get(location).content.decode())
    assert "Total à payer : 7,65 € — vos places sont retenues 15 minutes." in body
    # Not « validées » before they are paid.
    assert views.RECORDED_TO_PAY in body and views.VALIDATED not in body
    assert "Paiement de vos réservations" in body and "Payer 7,65 €" in body
    grid = client_a.get(f"{reverse('reservations:index')}?enfant={child.pk}").content.decode()
    assert cell_state(grid, regie.cantine, day("21/01")) == CellState.HELD
    assert "3 réservations en attente de paiement" in grid


def test_a_day_full_at_validation_is_refused_with_its_reason_and_leaves_the_cart(
    family, site, client_a, tenant_a, in_tenant
):
    """Issue 12: a line refused as full stayed in the cart until clicked away, and was
    refused again at each « Valider ». Now it leaves the cart, said so; the rest waits."""
    child = family.children[0]
    click(client_a, child, site.cantine, day("21/01"))
    click(client_a, child, site.cantine, day("31/01"))
    with in_tenant(tenant_a):  # meanwhile, two other families take the last places
        others_book(site.cantine, day("31/01"), 2)
    body = client_a.get(client_a.post(VALIDATE)["Location"]).content.decode()
    assert escape(views.REFUSED) in body
    line = views.REFUSED_LINE.format(
        label=f"{child.first_name} : CANTINE le 31/01/2025", reason=FULL
    )
    assert escape(line) in body
    assert escape(views.VALIDATE_AGAIN) in body
    assert views.VALIDATED not in body
    assert bookings(in_tenant, tenant_a, child=child) == [(day("21/01"), State.CART)]
    assert "1 CANTINE" in body
    assert cell_state(body, site.cantine, day("31/01")) == CellState.FULL
    # Validated again, the rest goes through.
    body = client_a.get(client_a.post(VALIDATE)["Location"]).content.decode()
    assert escape(views.VALIDATED) in body
    assert bookings(in_tenant, tenant_a, child=child) == [(day("21/01"), State.VALIDATED)]


def test_a_refused_cancellation_request_is_withdrawn_and_the_booking_kept(
    family, site, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    with in_tenant(tenant_a):
        # Today's garderie, its cancellation asked yesterday morning; it closed at 17:00.
        kept = book(child, site.garderie, day("16/01"))
        cancel_request(booking=kept, now=NOW - timedelta(hours=25))
    body = client_a.get(client_a.post(VALIDATE)["Location"]).content.decode()
    assert escape(views.REFUSED) in body
    assert escape(views.VALIDATE_AGAIN) not in body  # nothing left to validate
    assert bookings(in_tenant, tenant_a, child=child) == [(day("16/01"), State.VALIDATED)]
    with in_tenant(tenant_a):
        assert kept.events.order_by("pk").last().state == State.VALIDATED


def test_validating_or_clearing_an_empty_cart_says_it_is_empty(family, site, client_a):
    for url in (VALIDATE, CLEAR):
        body = client_a.get(client_a.post(url)["Location"]).content.decode()
        assert escape(CartEmpty.message) in body


def test_clearing_removes_every_line_of_the_cart(family, site, client_a, tenant_a, in_tenant):
    child = family.children[0]
    with in_tenant(tenant_a):
        book(child, site.cantine, day("24/01"), State.VALIDATED)
    click(client_a, child, site.cantine, day("21/01"))
    click(client_a, child, site.garderie, day("22/01"))
    response = client_a.post(CLEAR, {"enfant": child.pk})
    assert response["Location"] == f"{INDEX}?enfant={child.pk}"
    body = client_a.get(response["Location"]).content.decode()
    assert views.CLEARED in body and "Votre panier est vide" in body
    assert bookings(in_tenant, tenant_a, child=child) == [(day("24/01"), State.VALIDATED)]


# Who may do what


def test_another_familys_child_is_not_found(family, site, client_a, tenant_a, in_tenant):
    other = family_of(tenant_a, in_tenant, name="VOISIN")
    theirs = other.children[0]
    with in_tenant(tenant_a):
        book(theirs, site.cantine, day("21/01"), State.CART)
    assert client_a.get(INDEX, {"enfant": theirs.pk}).status_code == 404
    assert client_a.get(INDEX, {"enfant": "abc"}).status_code == 404
    assert click(client_a, theirs, site.cantine, day("23/01")).status_code == 404
    assert click(client_a, theirs, site.cantine, day("21/01")).status_code == 404
    for url in (VALIDATE, CLEAR):
        assert client_a.post(url, {"enfant": theirs.pk}).status_code == 404
    # Their cart is untouched: nothing added, removed or validated.
    assert bookings(in_tenant, tenant_a, child=theirs) == [(day("21/01"), State.CART)]


def test_unknown_service_or_prestation_is_not_found(family, site, client_a):
    child = family.children[0]
    assert client_a.get(INDEX, {"service": site.service.pk + 1000}).status_code == 404
    missing = Prestation(pk=site.cantine.pk + 1000)
    assert click(client_a, child, missing, day("21/01")).status_code == 404
    assert client_a.post(TOGGLE, {"child": child.pk}).status_code == 400
    assert client_a.get(TOGGLE).status_code == 405
    assert client_a.get(VALIDATE).status_code == 405


def test_a_family_of_another_collectivite_is_refused(family, site, client_b, tenant_a, in_tenant):
    client_b.force_login(family.user)
    child = family.children[0]
    for response in (
        client_b.get(INDEX),
        click(client_b, child, site.cantine, day("21/01")),
        client_b.post(VALIDATE, {"enfant": child.pk}),
        client_b.post(CLEAR),
    ):
        assert response.status_code == 403
        assert escape(NOT_A_FAMILY_HERE) in response.content.decode()
    assert bookings(in_tenant, tenant_a, child=child) == []


def test_the_pages_need_a_login_and_a_foyer(client_a, tenant_a, site):
    for response in (client_a.get(INDEX), client_a.post(VALIDATE)):
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion/?next=")
    joined_without_foyer = UserFactory()
    adhesion_add(user=joined_without_foyer, collectivite=tenant_a)
    client_a.force_login(joined_without_foyer)
    # The menu's page says so; what would change a cart is not found.
    assert escape(views.NO_FOYER_HERE) in page(client_a)
    child = ChildFactory.build(pk=1)
    assert click(client_a, child, site.cantine, day("21/01")).status_code == 404
    for url in (VALIDATE, CLEAR):
        assert client_a.post(url).status_code == 404


# Query count


def test_the_page_runs_the_same_queries_for_1_or_8_weeks_and_1_or_4_children(
    tenant_a, in_tenant, client_a, site, monkeypatch, django_assert_max_num_queries
):
    counts = []
    for size in (1, 4):
        member = family_of(tenant_a, in_tenant, children=size, name=f"TAILLE {size}")
        with in_tenant(tenant_a):
            for child in member.children:
                for week in range(8):
                    on = day("20/01") + timedelta(weeks=week)
                    book(child, site.cantine, on, State.CART)
                    book(child, site.garderie, on, State.VALIDATED)
        client_a.force_login(member.user)
        client_a.get(INDEX)  # the host lookup is cached from here on
        for weeks in (1, 8):
            monkeypatch.setattr(views, "WEEKS_SHOWN", weeks)
            # search_path, session, account, adhesion (family_required); the foyer and its
            # children; the services with their prestations; the child's bookings in the
            # window with the foyer's cart; places taken and capacity overrides (one UNION
            # ALL); the closures. One query each, whatever the weeks and the children.
            with django_assert_max_num_queries(10) as captured:
                body = page(client_a)
            assert body.count("<caption") == weeks
            assert body.count("<li>8 CANTINE</li>") == size
            counts.append(len(captured.captured_queries))
    assert len(set(counts)) == 1, counts


# What the lead looks at in a browser, without Playwright


def test_the_grid_is_usable_with_a_keyboard_and_a_screen_reader(
    family, site, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    with in_tenant(tenant_a):
        book(child, site.cantine, day("23/01"), State.CART)
        book(child, site.cantine, day("24/01"), State.VALIDATED)
        book(child, site.garderie, day("28/01"), State.PENDING_APPROVAL)
        book(child, site.garderie, day("29/01"), State.CANCEL_REQUESTED)
        book(child, site.garderie, day("30/01"), State.HELD, held_until=NOW)
        others_book(site.cantine, day("31/01"), 2)
    body = page(client_a)
    # 4 weeks × 5 days × 2 prestations: one cell each, a button unless closed.
    cells = re.findall(r'<div id="cellule-[^"]*" class="ef-cell ef-(\w+)"', body)
    assert len(cells) == 40
    buttons = re.findall(r"<button name=\"cell\"[^>]*>", body)
    assert len(buttons) == sum(1 for state in cells if state != CellState.CLOSED)
    ids = [re.search(r' id="([^"]+)"', b).group(1) for b in buttons]
    assert len(set(ids)) == len(ids)
    for button in buttons:
        label = re.search(r'aria-label="([^"]+)"', button).group(1)
        assert re.match(r"^(CANTINE|UNITE DE GARDERIE MATIN), \w+ \d\d/\d\d : ", unescape(label))
    assert body.count('class="visually-hidden">CANTINE, mercredi') == 4  # closed cells speak
    assert body.count("<caption") == 4
    assert body.count('<th scope="row"') == 8
    assert body.count('<th scope="col"') == 24
    assert 'role="status" aria-live="polite"' in body
    states = set(cells)
    assert states == {str(s) for s in CellState}
    snapshot = os.environ.get("RESERVATIONS_GRID_SNAPSHOT")
    if snapshot:
        # A page to open in a browser: the app's CSS inlined, scripts left out.
        css = "".join(
            (Path(settings.BASE_DIR) / "static" / path).read_text()
            for path in ("vendor/bootstrap/bootstrap.min.css", "css/portal.css")
        )
        html = re.sub(r'<link rel="stylesheet"[^>]*>', "", body, count=2)
        html = re.sub(r"<script[^>]*></script>", "", html)
        Path(snapshot).write_text(html.replace("</head>", f"<style>{css}</style></head>"))
        # And what htmx receives for a click on a bookable cell, to swap into that page.
        click_answer = click(client_a, child, site.cantine, day("21/01")).content.decode()
        Path(snapshot).with_suffix(".click.html").write_text(click_answer)


def test_vue_agenda_fills_the_cart_and_reports_skipped_days(
    family, site, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    response = client_a.post(
        reverse("reservations:agenda"),
        {
            "child": child.pk,
            "prestation": site.cantine.pk,
            "start": "2025-01-20",
            "end": "2025-02-02",
            "weekdays": ["1", "3", "4"],
        },
    )
    body = unescape(response.content.decode())
    # Mondays and Thursdays; Wednesdays have no cantine.
    assert "4 jours ajoutés à votre panier" in body
    assert "mer 22/01/2025 — Pas de service le mercredi" in body
    assert [d for d, _ in bookings(in_tenant, tenant_a, child=child)] == [
        day("20/01"),
        day("23/01"),
        day("27/01"),
        day("30/01"),
    ]


def test_vue_agenda_refuses_an_inverted_period_and_another_familys_child(
    family, site, client_a, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        stranger = ChildFactory()
    form = {
        "child": family.children[0].pk,
        "prestation": site.cantine.pk,
        "start": "2025-02-02",
        "end": "2025-01-20",
        "weekdays": ["1"],
    }
    body = client_a.post(reverse("reservations:agenda"), form).content.decode()
    assert "La fin de la période précède son début." in body
    form |= {"child": stranger.pk, "start": "2025-01-20", "end": "2025-02-02"}
    response = client_a.post(reverse("reservations:agenda"), form)
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert bookings(in_tenant, tenant_a, child=stranger) == []
