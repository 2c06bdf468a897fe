"""List filters shared by the collectivités' admin screens."""

from django.contrib import admin


class ValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter « by each value », with the blank value named.

    A text field left empty (a child's school, a class) gave a link with no text: nothing
    for a screen reader to say (axe link-name), nothing for anyone to click knowingly.
    """

    BLANK = "(non renseigné)"

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": self.BLANK} if choice["display"] == "" else choice
