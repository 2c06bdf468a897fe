"""Staff forms of billing: a tariff and its QF brackets, checked by the tariff engine."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from billing import rules, tariffs
from billing.models import BillingProfile, Invoice, PriceMode, Tariff
from reservations.models import PrestationKind

BRACKETS_ONLY_FOR_BRACKETS = (
    "Les tranches de quotient familial ne servent qu'au mode « par tranche » : supprimez-les "
    "ou changez de mode de prix."
)
BRACKETS_NEEDED = "Saisissez au moins une tranche de quotient familial."
BAD_PATTERN = "Le modèle doit contenir {number} et ne peut utiliser que {year}, {code} et {number}."


class TariffForm(forms.ModelForm):
    """A tariff's own fields; its brackets are checked by ``BracketFormSet``."""

    class Meta:
        model = Tariff
        fields = [
            "prestation",
            "label",
            "valid_from",
            "valid_to",
            "price_mode",
            "price",
            "unbooked_price",
            "unjustified_absence_price",
            "effort_rate",
            "effort_min",
            "effort_max",
        ]

    def clean(self):
        data = super().clean()
        mode, prestation = data.get("price_mode"), data.get("prestation")
        if mode == PriceMode.FIXED and data.get("price") is None:
            self.add_error("price", rules.NO_PRICE)
        if mode == PriceMode.EFFORT:
            low, high = data.get("effort_min"), data.get("effort_max")
            if data.get("effort_rate") is None or low is None or high is None or low > high:
                raise ValidationError(rules.EFFORT_BOUNDS)
        hourly = prestation is not None and prestation.kind == PrestationKind.HOURLY
        if hourly and tariffs.prestation_hours(prestation) is None:
            raise ValidationError(rules.HOURS_NEEDED)
        return data


class BracketFormSet(BaseInlineFormSet):
    """The brackets of one tariff: from 0, contiguous, the last open-ended, prices ≥ 0."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        tariff = self.instance
        if tariff.price_mode != PriceMode.BRACKETS:
            if kept:
                raise ValidationError(BRACKETS_ONLY_FOR_BRACKETS)
            return
        if not kept:
            raise ValidationError(BRACKETS_NEEDED)
        brackets = [rules.Bracket(row["qf_min"], row["qf_max"], row["price"]) for row in kept]
        problems = rules.bracket_problems(brackets)
        if problems:
            raise ValidationError(problems)


class BillingProfileForm(forms.ModelForm):
    class Meta:
        model = BillingProfile
        fields = [
            "service",
            "code",
            "invoice_pattern",
            "credit_pattern",
            "due_days",
            "payment_instructions",
        ]

    def _check_pattern(self, name: str) -> str:
        pattern = self.cleaned_data[name]
        if "{number" not in pattern:
            raise ValidationError(BAD_PATTERN)
        try:
            pattern.format(year=2026, code="CAN", number=1)
        except (KeyError, IndexError, ValueError) as error:
            raise ValidationError(BAD_PATTERN) from error
        return pattern

    def clean_invoice_pattern(self):
        return self._check_pattern("invoice_pattern")

    def clean_credit_pattern(self):
        return self._check_pattern("credit_pattern")


class CreditForm(forms.Form):
    reason = forms.CharField(label="Motif (figure sur l'avoir)", max_length=255)
    lines = forms.MultipleChoiceField(
        label="Lignes à créditer (aucune cochée : toute la facture)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [
            (
                line.pk,
                f"{line.child_name} — {line.label}"
                + (f" du {line.day:%d/%m/%Y}" if line.day else "")
                + f" : {line.amount} €",
            )
            for line in invoice.lines.filter(credit_lines__isnull=True).order_by(
                "child_name", "day", "pk"
            )
        ]
