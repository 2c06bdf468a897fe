"""The Vue Période's cell, written in Python: the page has up to a few hundred of them.

A template include per cell cost most of the page's rendering time; this tag builds the
same markup in one string, every value escaped as ``format_html`` escapes it (``_e``) but
without its per-argument check for lazy strings, which was half of the cell's time. Icons
come from the state's CSS class (static/css/reservations.css), so a cell is its button and
its words.
"""

from html import escape

from django import template
from django.utils.safestring import SafeString

from reservations.selectors.cells import Cell, CellState

register = template.Library()


def _e(value) -> str:
    """``value`` escaped for HTML text and attributes, as django.utils.html.conditional_escape
    does (already-safe markup kept; quotes escaped)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


@register.simple_tag
def grid_cell(cell: Cell, toggle_url: str, oob: bool = False) -> SafeString:
    """Return one cell of the grid: a button, or the words of a closed day."""
    # data-hx-*: htmx reads them as it reads hx-*, and they are valid HTML.
    swap = ' data-hx-swap-oob="true"' if oob else ""
    if cell.state == CellState.CLOSED:
        inner = (
            f'<span class="ef-face" title="{_e(cell.reason)}">'
            f'<span aria-hidden="true">{_e(cell.style.symbol)}</span>'
            f'<span class="visually-hidden">{_e(cell.aria_label)}</span></span>'
        )
    else:
        figure = (
            f'<span class="ef-places" aria-hidden="true">{_e(cell.figure)}</span>'
            if cell.figure
            else ""
        )
        disabled = "" if cell.actionable else ' aria-disabled="true"'
        inner = (
            f'<button name="cell" value="{_e(cell.key)}" data-hx-post="{_e(toggle_url)}"'
            f' id="{_e(cell.button_id)}" aria-label="{_e(cell.aria_label)}"{disabled}>'
            f"{figure}</button>"
        )
    state = _e(cell.state)
    return SafeString(
        f'<div id="{_e(cell.dom_id)}" class="ef-cell ef-{state}" data-state="{state}"{swap}>'
        f"{inner}</div>"
    )
