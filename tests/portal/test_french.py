"""French agreement: 0 and 1 take the singular."""

import pytest

from portal.templatetags.french import pluriel


@pytest.mark.parametrize(
    ("count", "suffix", "expected"),
    [(0, "s", ""), (1, "s", ""), (2, "s", "s"), (-3, "s", "s"), ([1, 2], "x", "x"), ("?", "s", "")],
)
def test_pluriel(count, suffix, expected):
    assert pluriel(count, suffix) == expected
