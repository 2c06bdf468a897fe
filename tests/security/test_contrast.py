"""The colours portal.css sets reach WCAG AA (4.5:1) on the backgrounds they sit on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static/css/portal.css").read_text()
# (selector in portal.css, its background): Bootstrap's bg-body-tertiary and warning item.
PAIRS = [
    (".site-footer", "#f8f9fa"),
    (".site-footer a", "#f8f9fa"),
    (".list-group-item-warning a", "#fff3cd"),
    (".skip-link", "#ffffff"),
]


def luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_matches_wcag_references():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#0d6efd", "#f8f9fa"), 2) == 4.27  # the footer link that failed


@pytest.mark.parametrize(("selector", "background"), PAIRS)
def test_text_colours_reach_aa(selector, background):
    rule = re.search(re.escape(selector) + r"\s*\{[^}]*?(?<!-)color:\s*(#[0-9a-fA-F]{6})", CSS)
    # Without a rule of ours, Bootstrap's colour applies: its link blue for links (the colour
    # that failed), its body text otherwise.
    colour = rule.group(1) if rule else ("#0d6efd" if selector.endswith(" a") else "#212529")
    assert contrast(colour, background) >= 4.5, (selector, colour)
