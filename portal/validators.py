"""Validators shared by the account (public schema) and the foyers (tenant schemas)."""

from django.core.validators import RegexValidator

phone_validator = RegexValidator(
    r"^(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}$",
    "Saisissez un numéro de téléphone français, par exemple 05 63 50 51 18.",
)


# Bidirectional controls (U+202A–U+202E, U+2066–U+2069) make a name display other than it
# is stored (« U+202E » turns « enfant.pdf » around), and PostgreSQL refuses NUL in text.
FORBIDDEN_CHARACTERS = frozenset("\x00\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FORBIDDEN_CHARACTERS_MESSAGE = (
    "Ce champ contient un caractère invisible non autorisé (caractère nul ou contrôle du sens "
    "de l'écriture) : saisissez-le à nouveau sans copier-coller."
)
# The longest postal address a form accepts: four lines of a French address, generously.
ADDRESS_MAX_LENGTH = 500


def plain_text_validator(value) -> None:
    """Refuse NUL and the bidirectional control characters in a name, address or e-mail."""
    from django.core.exceptions import ValidationError

    if isinstance(value, str) and not FORBIDDEN_CHARACTERS.isdisjoint(value):
        raise ValidationError(FORBIDDEN_CHARACTERS_MESSAGE, code="forbidden_characters")
