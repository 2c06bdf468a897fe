"""The Vue Période's cell, written in Python: the page has up to a few hundred of them.

A template include per cell cost most of the page's rendering time; this tag builds the
same markup with ``format_html`` (every value escaped). Icons come from the state's CSS
class (static/css/reservations.css), so a cell is its button and its words.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from reservations.selectors.cells import Cell, CellState

register = template.Library()


@register.simple_tag
def grid_cell(cell: Cell, toggle_url: str, oob: bool = False) -> str:
    """Return one cell of the grid: a button, or the words of a closed day."""
    # data-hx-*: htmx reads them as it reads hx-*, and they are valid HTML.
    swap = mark_safe(' data-hx-swap-oob="true"') if oob else ""
    if cell.state == CellState.CLOSED:
        inner = format_html(
            '<span class="ef-face" title="{}"><span aria-hidden="true">{}</span>'
            '<span class="visually-hidden">{}</span></span>',
            cell.reason,
            cell.style.symbol,
            cell.aria_label,
        )
    else:
        figure = cell.figure and format_html(
            '<span class="ef-places" aria-hidden="true">{}</span>', cell.figure
        )
        inner = format_html(
            '<button name="cell" value="{}" data-hx-post="{}" id="{}" aria-label="{}"{}>'
            "{}</button>",
            cell.key,
            toggle_url,
            cell.button_id,
            cell.aria_label,
            "" if cell.actionable else mark_safe(' aria-disabled="true"'),
            figure,
        )
    return format_html(
        '<div id="{}" class="ef-cell ef-{}" data-state="{}"{}>{}</div>',
        cell.dom_id,
        cell.state,
        cell.state,
        swap,
        inner,
    )
