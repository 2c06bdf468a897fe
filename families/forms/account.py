"""Forms of a family's own account pages.

They validate against detached model instances: a rejected input never reaches the rows
loaded for the page, so the summary above a form keeps showing what is recorded.
"""

from __future__ import annotations

from django import forms
from django.forms.models import model_to_dict

from families.models import Child, Foyer, Responsable
from families.services_account import (
    CHILD_PARENT_FIELDS,
    RESPONSABLE_CONTACT_FIELDS,
    RESPONSABLE_IDENTITY_FIELDS,
)

PHONE_HELP = "Par exemple 05 63 50 51 18 ou +33 6 12 34 56 78."
CONTACT_WIDGETS = {
    "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    "phone_secondary": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    "email": forms.EmailInput(attrs={"autocomplete": "email"}),
    "email_secondary": forms.EmailInput(attrs={"autocomplete": "email"}),
    "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
}
CONTACT_HELP = {"phone": PHONE_HELP, "phone_secondary": PHONE_HELP}
# Django's French says « courriel »; the portal says « e-mail » everywhere.
EMAIL_INVALID = "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr."
CONTACT_LABELS = {"notification": "Préférence de notification"}
CONTACT_ERRORS = {
    "email": {"invalid": EMAIL_INVALID},
    "email_secondary": {"invalid": EMAIL_INVALID},
}


class ResponsableContactForm(forms.ModelForm):
    """Contact details of one responsable; names and civilité stay as the mairie recorded them."""

    class Meta:
        model = Responsable
        fields = RESPONSABLE_CONTACT_FIELDS
        widgets = CONTACT_WIDGETS
        labels = CONTACT_LABELS
        help_texts = CONTACT_HELP
        error_messages = CONTACT_ERRORS


class ResponsableAddForm(forms.ModelForm):
    """A new responsable (usually responsable 2): identity and contact details."""

    class Meta:
        model = Responsable
        fields = RESPONSABLE_IDENTITY_FIELDS + RESPONSABLE_CONTACT_FIELDS
        widgets = {
            **CONTACT_WIDGETS,
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
        }
        labels = CONTACT_LABELS
        help_texts = CONTACT_HELP
        error_messages = CONTACT_ERRORS


class FoyerContactsForm:
    """One ResponsableContactForm per recorded responsable, validated and saved together."""

    def __init__(self, *, foyer: Foyer, data=None):
        self.entries = [
            (
                responsable,
                ResponsableContactForm(
                    data=data,
                    prefix=f"r{responsable.rank}",
                    initial=model_to_dict(responsable, fields=RESPONSABLE_CONTACT_FIELDS),
                ),
            )
            for responsable in foyer.responsables.all()
        ]

    def is_valid(self) -> bool:
        # Every form is validated, so each shows its own errors at once.
        return all([form.is_valid() for _, form in self.entries])

    @property
    def has_errors(self) -> bool:
        return any(form.is_bound and form.errors for _, form in self.entries)

    @property
    def contacts(self) -> dict[int, dict]:
        """Return the cleaned contact details keyed by rank (after ``is_valid``)."""
        return {responsable.rank: form.cleaned_data for responsable, form in self.entries}


class ChildEditForm(forms.ModelForm):
    """What a family may correct about a child: school, class and diet."""

    class Meta:
        model = Child
        fields = CHILD_PARENT_FIELDS

    @classmethod
    def for_child(cls, child: Child, data=None) -> ChildEditForm:
        return cls(data=data, initial=model_to_dict(child, fields=CHILD_PARENT_FIELDS))
