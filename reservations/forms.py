"""What the Vue Période reads from its address and its buttons."""

from __future__ import annotations

from django import forms

ISO_DATE = ["%Y-%m-%d"]


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
    """A click on a cell: which child, prestation and day; ``debut`` is the grid's start."""

    child = forms.IntegerField(min_value=1)
    prestation = forms.IntegerField(min_value=1)
    day = forms.DateField(input_formats=ISO_DATE)
    debut = forms.DateField(required=False, input_formats=ISO_DATE)
