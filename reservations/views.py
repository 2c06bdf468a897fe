"""« Mes réservations »: the Vue Période grid, a click on a cell, « Valider » and « Vider ».

Every page works without JavaScript (each cell is a button in a POST form, answered by a
redirect to the grid); with htmx a click swaps the cell in place, the cart panel out of
band, and says what happened in a live region.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.selectors import orders_of_bookings
from families.selectors import child_of_foyer
from portal.decorators import NO_FOYER_HERE, family_required, foyer_required_by
from reservations.exceptions import CartEmpty, CartRefused, ReservationsError
from reservations.forms import AgendaForm, CellForm, GridQueryForm
from reservations.lifecycle import State
from reservations.policy import booking_horizon
from reservations.selectors.cells import LEGEND, cell_dom_id
from reservations.selectors.grid import period_cells, period_grid
from reservations.selectors.options import foyer_with_children, service_options
from reservations.services.cart import agenda_add, cart_clear, cart_refused_drop
from reservations.services.cell import Level, cell_click, plural
from reservations.services.validation import HOLD_MINUTES, cart_validate

WEEKS_SHOWN = 4

NOT_YOUR_CHILD = "Cet enfant ne fait pas partie de votre foyer."
NOT_AN_ID = "Cet enfant ou ce service n'existe pas."
UNKNOWN_SERVICE = "Ce service n'existe pas ou n'a aucune prestation."
UNKNOWN_PRESTATION = "Cette prestation n'existe pas."
BAD_CELL = "Demande incomplète : enfant, prestation et jour sont attendus."
VALIDATED = "Vos demandes ont été validées."
RECORDED_TO_PAY = "Vos demandes sont enregistrées : elles seront validées une fois payées."
REFUSED = "Votre panier n'a pas été validé : aucune demande n'a été enregistrée."
REFUSED_LINE = "{label} — {reason} : retirée de votre panier."
VALIDATE_AGAIN = "Les autres demandes sont toujours dans votre panier : validez-le à nouveau."
HELD = "{count} — vos places sont retenues {minutes} minutes."
TO_PAY = "Total à payer : {amount} € — vos places sont retenues {minutes} minutes."
PENDING = "{count} la validation de la mairie."
CLEARED = "Votre panier a été vidé."
AGENDA_ADDED = "{count} à votre panier : n'oubliez pas de le valider."
MOVED_WITHIN = (
    "Les réservations se consultent du {first:%d/%m/%Y} au {last:%d/%m/%Y} : "
    "voici les semaines les plus proches de la date demandée."
)
# How a click's outcome is shown: a message level without htmx, an alert class with it.
MESSAGE_LEVELS = {
    Level.SUCCESS: messages.SUCCESS,
    Level.WARNING: messages.WARNING,
    Level.ERROR: messages.ERROR,
}
ALERT_CLASSES = {Level.SUCCESS: "success", Level.WARNING: "warning", Level.ERROR: "danger"}


def euros(amount: Decimal) -> str:
    """« 7,65 », « 1 234,50 »: French separators, two decimals."""
    return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


# The grid needs the children only (two queries, not the account pages' four).
foyer_required = foyer_required_by(foyer_with_children)


def _grid_url(
    *, child_id: int | None, service_id: int | None, start: date | None, anchor: str = ""
) -> str:
    params = {
        key: value
        for key, value in (
            ("enfant", child_id),
            ("service", service_id),
            ("debut", start.isoformat() if start else None),
        )
        if value is not None
    }
    url = reverse("reservations:index")
    if params:
        url += "?" + urlencode(params)
    return url + (f"#{anchor}" if anchor else "")


def _own_child(foyer, child_id: int):
    child = child_of_foyer(foyer=foyer, child_id=child_id)
    if child is None:
        raise Http404(NOT_YOUR_CHILD)
    return child


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
@family_required
def index(request):
    """The Vue Période of one child for one service, WEEKS_SHOWN weeks, and the cart.

    The menu leads here: an account of this collectivité without a foyer (staff, or a family
    the mairie has not linked yet) is told so rather than shown an error page.
    """
    foyer = foyer_with_children(user=request.user)
    if foyer is None:
        return render(request, "reservations/index.html", {"grid": None, "no_foyer": NO_FOYER_HERE})
    query = GridQueryForm(request.GET)
    if query.ids_are_invalid():
        raise Http404(NOT_AN_ID)
    children = list(foyer.children.all())
    services = service_options()
    if not children or not services:
        return render(
            request, "reservations/index.html", {"grid": None, "has_children": bool(children)}
        )
    child_id, service_id = query.value("enfant"), query.value("service")
    child = _own_child(foyer, child_id) if child_id else children[0]
    service = next((s for s in services if s.pk == service_id), None) if service_id else services[0]
    if service is None:
        raise Http404(UNKNOWN_SERVICE)
    now = timezone.now()
    asked = query.value("debut")
    grid = period_grid(
        foyer=foyer,
        child=child,
        service=service,
        start=asked or timezone.localdate(now),
        weeks=WEEKS_SHOWN,
        now=now,
        services=services,
    )
    if asked and not grid.horizon.shows(asked, WEEKS_SHOWN):
        messages.info(
            request, MOVED_WITHIN.format(first=grid.horizon.first_shown, last=grid.horizon.last_day)
        )
    return render(request, "reservations/index.html", {"grid": grid, "legend": LEGEND})


@require_POST
@foyer_required
def toggle(request, foyer):
    """A click on a cell: services.cell decides and does it; this answers with the cell.

    With htmx the answer is the cell, the cart panel (out of band) and the message (live
    region); without, a redirect to the grid.
    """
    now = timezone.now()
    form = CellForm(request.POST, horizon=booking_horizon(now), weeks=WEEKS_SHOWN)
    if not form.is_valid():
        outside = form.has_error(NON_FIELD_ERRORS, "outside")
        return HttpResponseBadRequest(form.non_field_errors()[0] if outside else BAD_CELL)
    data = form.cleaned_data
    child = _own_child(foyer, data["child"])
    prestation = next(
        (p for s in service_options() for p in s.prestations if p.pk == data["prestation"]), None
    )
    if prestation is None:
        raise Http404(UNKNOWN_PRESTATION)
    day = data["day"]
    outcome = cell_click(
        foyer=foyer, child=child, prestation=prestation, day=day, user=request.user, now=now
    )
    start = data.get("debut")
    if not _is_htmx(request):
        messages.add_message(request, MESSAGE_LEVELS[outcome.level], outcome.message)
        response = redirect(
            _grid_url(
                child_id=child.pk,
                service_id=prestation.service_id,
                start=start,
                anchor=cell_dom_id(prestation, day),
            )
        )
    else:
        view = period_cells(
            foyer=foyer, child=child, prestation=prestation, days=outcome.days, now=now
        )
        # Other days a forfait added: swapped too, when the grid shows them.
        first = start or day
        last = first + timedelta(weeks=WEEKS_SHOWN)
        response = render(
            request,
            "reservations/partials/toggle.html",
            {
                "cell": view.cells[day],
                "others": [c for d, c in view.cells.items() if d != day and first <= d < last],
                "cart": view.cart,
                "child_id": child.pk,
                "service_id": prestation.service_id,
                "start": start,
                "message": outcome.message,
                "message_level": ALERT_CLASSES[outcome.level],
            },
        )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _back_to_grid(request, foyer):
    """Return the grid the form was posted from (its child must be the foyer's)."""
    query = GridQueryForm(request.POST)
    if query.ids_are_invalid():
        raise Http404(NOT_AN_ID)
    child_id = query.value("enfant")
    if child_id:
        _own_child(foyer, child_id)
    return redirect(
        _grid_url(child_id=child_id, service_id=query.value("service"), start=query.value("debut"))
    )


@require_POST
@foyer_required
def validate(request, foyer):
    """« Valider »: the whole cart or nothing; a refusal lists every line that failed, why."""
    back = _back_to_grid(request, foyer)
    try:
        lines = cart_validate(foyer=foyer, user=request.user)
    except CartRefused as refusal:
        # The refused lines leave the cart: a line left there would be refused again.
        left = cart_refused_drop(
            foyer=foyer, booking_ids=[line.booking_id for line in refusal.lines], user=request.user
        )
        messages.error(request, REFUSED)
        for line in refusal.lines:
            messages.error(request, REFUSED_LINE.format(label=line.label, reason=line.reason))
        if left:
            messages.info(request, VALIDATE_AGAIN)
        return back
    except ReservationsError as error:  # an empty cart
        messages.info(request, error.message)
        return back
    held = [line for line in lines if line.state == State.HELD]
    # Lines held for payment are not validated yet: say so when nothing else was.
    messages.success(request, RECORDED_TO_PAY if len(held) == len(lines) else VALIDATED)
    orders = orders_of_bookings(booking_ids=[line.pk for line in held]) if held else []
    total = sum((order.total for order in orders), Decimal("0.00"))
    if total:
        # Prépaiement: the payment page of the order recorded with these lines.
        messages.info(request, TO_PAY.format(amount=euros(total), minutes=HOLD_MINUTES))
        return redirect("billing:order", pk=orders[0].pk)
    if held:
        count = plural(
            len(held), "réservation en attente de paiement", "réservations en attente de paiement"
        )
        messages.info(request, HELD.format(count=count, minutes=HOLD_MINUTES))
    pending = sum(1 for line in lines if line.state == State.PENDING_APPROVAL)
    if pending:
        count = plural(pending, "demande attend", "demandes attendent")
        messages.info(request, PENDING.format(count=count))
    return back


@require_POST
@foyer_required
def clear(request, foyer):
    """« Vider »: every line of the foyer's cart goes."""
    back = _back_to_grid(request, foyer)
    removed = cart_clear(foyer=foyer)
    messages.info(request, CLEARED if removed else CartEmpty.message)
    return back


@require_http_methods(["GET", "POST"])
@foyer_required
def agenda(request, foyer):
    """Vue Agenda: every chosen weekday of a period into the cart, with what was skipped."""
    children = list(foyer.children.all())
    prestations = [p for service in service_options() for p in service.prestations]
    form = AgendaForm(
        request.POST or None,
        children=children,
        prestations=prestations,
        horizon=booking_horizon(timezone.now()),
    )
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        child = _own_child(foyer, data["child"])
        prestation = next(p for p in prestations if p.pk == data["prestation"])
        try:
            result = agenda_add(
                child=child,
                prestation=prestation,
                start=data["start"],
                end=data["end"],
                weekdays=data["weekdays"],
                week_parity=data["week_parity"] or None,
                user=request.user,
            )
        except ReservationsError as error:
            form.add_error("end", error.message)
        if result and result.added:
            messages.success(
                request,
                AGENDA_ADDED.format(
                    count=plural(len(result.added), "jour ajouté", "jours ajoutés")
                ),
            )
    return render(
        request,
        "reservations/agenda.html",
        {"form": form, "result": result, "has_choices": bool(children and prestations)},
    )
