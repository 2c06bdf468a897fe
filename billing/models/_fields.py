"""Money fields and range expressions shared by billing's models."""

from __future__ import annotations

from django.contrib.postgres.fields import BigIntegerRangeField, DateRangeField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value

MONEY = {"max_digits": 12, "decimal_places": 2}
NOT_NEGATIVE = MinValueValidator(0, "Un prix ne peut pas être négatif.")
PRICE = {**MONEY, "validators": [NOT_NEGATIVE]}


class IdRange(Func):
    """``int8range(id, id, '[]')``: an equality GiST can index without btree_gist.

    The embedded PostgreSQL has no contrib extension, so « same prestation and overlapping
    period » is written as two overlapping ranges.
    """

    function = "int8range"
    output_field = BigIntegerRangeField()

    def __init__(self, field: str):
        super().__init__(F(field), F(field), Value("[]"))


class Period(Func):
    """``daterange(start, end, '[]')``; an empty end is open (« à partir du »)."""

    function = "daterange"
    output_field = DateRangeField()

    def __init__(self, start: str, end: str):
        super().__init__(F(start), F(end), Value("[]"))


class QfRange(Func):
    function = "int8range"
    output_field = BigIntegerRangeField()

    def __init__(self):
        super().__init__(F("qf_min"), F("qf_max"), Value("[]"))


def non_negative(*fields: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
            name=f"%(class)s_{field}_not_negative",
            violation_error_message="Un prix ne peut pas être négatif.",
        )
        for field in fields
    ]
