"""Validators shared by the account (public schema) and the foyers (tenant schemas)."""

from django.core.validators import RegexValidator

phone_validator = RegexValidator(
    r"^(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}$",
    "Saisissez un numéro de téléphone français, par exemple 05 63 50 51 18.",
)
