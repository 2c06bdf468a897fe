"""French agreement: 0 and 1 take the singular."""

import pytest

from portal import french
from portal.templatetags.french import pluriel


@pytest.mark.parametrize(
    ("count", "suffix", "expected"),
    [(0, "s", ""), (1, "s", ""), (2, "s", "s"), (-3, "s", "s"), ([1, 2], "x", "x"), ("?", "s", "")],
)
def test_pluriel(count, suffix, expected):
    assert pluriel(count, suffix) == expected


@pytest.mark.parametrize(
    ("noun", "the_", "of_the_", "of_a_"),
    [
        ("actualité", "l'actualité", "de l'actualité", "d'une actualité"),
        ("enfant", "l'enfant", "de l'enfant", "d'un enfant"),
        ("foyer", "le foyer", "du foyer", "d'un foyer"),
        ("réservation", "la réservation", "de la réservation", "d'une réservation"),
        ("liste d'attente", "la liste d'attente", "de la liste d'attente", "d'une liste d'attente"),
        (
            "membre du personnel",
            "le membre du personnel",
            "du membre du personnel",
            "d'un membre du personnel",
        ),
        (
            "historique de réservation",
            "l'historique de réservation",
            "de l'historique de réservation",
            "d'un historique de réservation",
        ),
        (
            "paramètres de facturation",
            "les paramètres de facturation",
            "des paramètres de facturation",
            "de paramètres de facturation",
        ),
        ("service / site", "le service / site", "du service / site", "d'un service / site"),
    ],
)
def test_articles_follow_gender_number_and_elision(noun, the_, of_the_, of_a_):
    assert (french.the(noun), french.of_the(noun), french.of_a(noun)) == (the_, of_the_, of_a_)


def test_adjectives_agree():
    assert french.agree("sélectionné", "réservation", plural=True) == "sélectionnées"
    assert french.agree("sélectionné", "enfant", plural=True) == "sélectionnés"
    assert french.agree("sélectionné", "paramètres de facturation") == "sélectionnés"
