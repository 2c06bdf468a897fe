"""French articles and agreement for the admin's titles. Pure: no Django.

« Ajout d'une actualité », « Modification de l'enfant », « Modification du foyer »,
« Supprimer les réservations sélectionnées »: the article, its elision and the agreement
follow the noun's gender and number, read from its first word (« liste d'attente » is a
liste, « membre du personnel » a membre).
"""

from __future__ import annotations

# First words of the feminine nouns the collectivités' admin names; the others are masculine.
FEMININE = frozenset(
    {
        "absence",
        "actualité",
        "adhésion",
        "collectivité",
        "demande",
        "facture",
        "fermeture",
        "génération",
        "lecture",
        "ligne",
        "liste",
        "modification",
        "pièce",
        "prestation",
        "réouverture",
        "réservation",
        "tranche",
    }
)
# Nouns used in the plural only (« les paramètres de facturation »).
PLURAL = frozenset({"paramètres"})
VOWELS = frozenset("aàâäeéèêëiîïoôöuùûüyœæ")
# Words starting with a silent h take the elision (« l'historique »).
MUTE_H = frozenset({"historique", "heure", "habitant", "horaire"})


def _head(noun: str) -> str:
    return noun.strip().split()[0].lower() if noun.strip() else ""


def is_feminine(noun: str) -> bool:
    return _head(noun) in FEMININE


def is_plural(noun: str) -> bool:
    return _head(noun) in PLURAL


def elides(noun: str) -> bool:
    """Tell whether « le », « la », « de » before ``noun`` lose their vowel."""
    head = _head(noun)
    return bool(head) and (head[0] in VOWELS or head in MUTE_H)


def the(noun: str) -> str:
    """« l'enfant », « la réservation », « le foyer », « les paramètres … »."""
    if is_plural(noun):
        return f"les {noun}"
    if elides(noun):
        return f"l'{noun}"
    return f"{'la' if is_feminine(noun) else 'le'} {noun}"


def of_the(noun: str) -> str:
    """« de l'enfant », « de la réservation », « du foyer », « des paramètres … »."""
    if is_plural(noun):
        return f"des {noun}"
    if elides(noun):
        return f"de l'{noun}"
    return f"de la {noun}" if is_feminine(noun) else f"du {noun}"


def a(noun: str) -> str:
    """« une actualité », « un enfant », « des paramètres … »."""
    if is_plural(noun):
        return f"des {noun}"
    return f"{'une' if is_feminine(noun) else 'un'} {noun}"


def of_a(noun: str) -> str:
    """« d'une actualité », « d'un enfant », « de paramètres … »."""
    if is_plural(noun):
        return f"de {noun}"
    return f"d'{a(noun)}"


def agree(adjective: str, noun: str, *, plural: bool = False) -> str:
    """« sélectionné » agreed with ``noun``: « sélectionnées » for réservations."""
    ending = ("e" if is_feminine(noun) else "") + ("s" if plural or is_plural(noun) else "")
    return adjective + ending
