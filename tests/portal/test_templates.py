"""Templates: what Django leaves as text must not reach a parent's screen.

A ``{# … #}`` comment ends on its own line in Django; spread over two lines it is printed as
text. The cart panel showed « {# Boosted: the page's content is replaced in place… #} » to
every family under its « Valider » button.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPEN_COMMENT = re.compile(r"\{#(?!.*#\})")


def _templates() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.html")
        if ".venv" not in path.parts and "node_modules" not in path.parts
    )


def test_no_one_line_comment_spreads_over_two_lines():
    spread = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OPEN_COMMENT.search(line)
    ]
    assert len(_templates()) > 50
    assert spread == [], "Use {% comment %} … {% endcomment %} over several lines"
