"""The Vue Période's cell markup: every value escaped, whatever staff typed in a name."""

from datetime import date

from django.utils.html import format_html
from django.utils.safestring import SafeString

from reservations.models import Prestation
from reservations.selectors.cells import Cell, CellState
from reservations.templatetags.reservations_grid import grid_cell

NAME = 'CANTINE <b>"A&B"</b> l\'été'
DAY = date(2027, 1, 12)


def test_a_bookable_cell_escapes_the_prestation_name_in_its_label():
    cell = Cell(
        prestation=Prestation(pk=7, name=NAME), day=DAY, state=CellState.BOOKABLE, remaining=2
    )
    html = grid_cell(cell, "/reservations/cellule/?a=1&b=2")
    assert isinstance(html, SafeString)
    assert html == (
        '<div id="cellule-7-20270112" class="ef-cell ef-bookable" data-state="bookable">'
        '<button name="cell" value="7-20270112" data-hx-post="/reservations/cellule/?a=1&amp;b=2"'
        ' id="bouton-7-20270112" aria-label="CANTINE &lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;'
        ' l&#x27;été, mardi 12/01 : réservable, 2 places restantes">'
        '<span class="ef-places" aria-hidden="true">2</span></button></div>'
    )
    assert "<b>" not in html


def test_a_closed_cell_escapes_the_closure_reason_and_can_swap_out_of_band():
    reason = 'Grève <script>alert("x")</script>'
    cell = Cell(
        prestation=Prestation(pk=7, name="CANTINE"), day=DAY, state=CellState.CLOSED, reason=reason
    )
    html = grid_cell(cell, "/t/", oob=True)
    escaped = format_html("{}", reason)  # what Django's own escaping writes
    assert f'title="{escaped}"' in html
    assert "<script>" not in html
    assert html.startswith(
        '<div id="cellule-7-20270112" class="ef-cell ef-closed" data-state="closed"'
        ' data-hx-swap-oob="true"><span class="ef-face"'
    )


def test_a_locked_cell_is_disabled_and_safe_markup_is_not_escaped_twice():
    cell = Cell(
        prestation=Prestation(pk=7, name="ALSH"),
        day=DAY,
        state=CellState.LOCKED,
        reason="Réservation close",
    )
    html = grid_cell(cell, SafeString("/t/?a=1&amp;b=2"))
    assert 'aria-disabled="true"' in html
    assert 'data-hx-post="/t/?a=1&amp;b=2"' in html  # as format_html keeps it
