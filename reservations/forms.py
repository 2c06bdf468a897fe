"""What the Vue Période reads from its address and its buttons."""

from __future__ import annotations

from datetime import datetime

from django import forms

from portal.forms import DatePicker
from reservations.horizon import BookingHorizon

ISO_DATE = ["%Y-%m-%d"]
OUTSIDE_CALENDAR = "Ce jour est hors du calendrier des réservations (du {first} au {last})."


class GridQueryForm(forms.Form):
    """``?enfant=&service=&debut=`` of the grid, and of the forms that come back to it."""

    enfant = forms.IntegerField(required=False, min_value=1)
    service = forms.IntegerField(required=False, min_value=1)
    debut = forms.DateField(required=False, input_formats=ISO_DATE)

    def ids_are_invalid(self) -> bool:
        """Tell whether an id is not a number: it then names no child or service (404)."""
        return not self.is_valid() and bool({"enfant", "service"} & self.errors.keys())

    def value(self, name: str):
        """Return a cleaned value, None when absent or invalid (a bad date is ignored)."""
        self.is_valid()
        return self.cleaned_data.get(name)


class CellForm(forms.Form):
    """A click on a cell: which child, prestation and day; ``debut`` is the grid's start.

    The grid's buttons send ``cell`` = « <prestation id>-<YYYYMMDD> »; ``prestation`` and
    ``day`` may also come separately. The day must be one some grid shows (``horizon``,
    grids of ``weeks`` weeks); a ``debut`` outside them is dropped.
    """

    child = forms.IntegerField(min_value=1)
    cell = forms.RegexField(regex=r"^\d{1,18}-\d{8}$", required=False)
    prestation = forms.IntegerField(min_value=1, required=False)
    day = forms.DateField(input_formats=ISO_DATE, required=False)
    debut = forms.DateField(required=False, input_formats=ISO_DATE)

    def __init__(self, *args, horizon: BookingHorizon, weeks: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.horizon, self.weeks = horizon, weeks

    def clean_debut(self):
        start = self.cleaned_data.get("debut")
        return start if start and self.horizon.shows(start, self.weeks) else None

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("cell")
        if key:
            prestation, _, day = key.partition("-")
            try:
                cleaned["prestation"] = int(prestation)
                cleaned["day"] = datetime.strptime(day, "%Y%m%d").date()
            except ValueError:
                raise forms.ValidationError("Case inconnue.") from None
        if not (cleaned.get("prestation") and cleaned.get("day")):
            raise forms.ValidationError("Case inconnue.")
        if not self.horizon.shows(cleaned["day"], self.weeks):
            raise forms.ValidationError(
                OUTSIDE_CALENDAR.format(
                    first=f"{self.horizon.first_shown:%d/%m/%Y}",
                    last=f"{self.horizon.last_day:%d/%m/%Y}",
                ),
                code="outside",
            )
        return cleaned


WEEKDAY_CHOICES = [(1, "Lundi"), (2, "Mardi"), (3, "Mercredi"), (4, "Jeudi"), (5, "Vendredi")]
PARITY_CHOICES = [
    ("", "Toutes les semaines"),
    ("even", "Semaines paires"),
    ("odd", "Semaines impaires"),
]
MAX_PERIOD_DAYS = 366


class AgendaForm(forms.Form):
    """« Pour la période du … au … », the weekdays and which weeks, for one prestation."""

    child = forms.TypedChoiceField(label="Enfant", coerce=int)
    prestation = forms.TypedChoiceField(label="Prestation", coerce=int)
    start = forms.DateField(label="Pour la période du", widget=DatePicker())
    end = forms.DateField(label="au", widget=DatePicker())
    weekdays = forms.TypedMultipleChoiceField(
        label="Jours",
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Cochez au moins un jour de la semaine."},
    )
    week_parity = forms.ChoiceField(label="Semaines", choices=PARITY_CHOICES, required=False)

    def __init__(self, *args, children, prestations, horizon: BookingHorizon, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker stops at the horizon; agenda_add refuses past it anyway.
        for name in ("start", "end"):
            self.fields[name].widget.attrs["max"] = horizon.last_day.isoformat()
        self.fields["end"].help_text = f"Dernier jour réservable : {horizon.last_day:%d/%m/%Y}."
        self.fields["child"].choices = [(c.pk, f"{c.first_name} {c.last_name}") for c in children]
        self.fields["prestation"].choices = [
            (p.pk, f"{p.service.name} — {p.name}") for p in prestations
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "La fin de la période précède son début.")
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("end", "La période ne peut pas dépasser un an.")
        return cleaned
