"""Tariffs of a prestation over a period, and their quotient-familial brackets."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q

from billing.models._fields import NOT_NEGATIVE, PRICE, IdRange, Period, QfRange, non_negative


class PriceMode(models.TextChoices):
    FIXED = "fixed", "Prix fixe"
    BRACKETS = "brackets", "Par tranche de quotient familial"
    EFFORT = "effort", "Taux d'effort (taux × QF)"


class Tariff(models.Model):
    """The prices of one prestation over a validity period.

    The basis (per unit, per hour, forfait) is the prestation's kind; the price is fixed, by
    QF bracket (``TariffBracket``) or a taux d'effort. A tariff is never deleted: staff end it
    (« au ») and start a new one, so a January change never rewrites December.
    """

    prestation = models.ForeignKey(
        "reservations.Prestation",
        verbose_name="prestation",
        on_delete=models.PROTECT,
        related_name="tariffs",
    )
    label = models.CharField(
        "libellé sur la facture",
        max_length=150,
        blank=True,
        help_text="Vide : le nom de la prestation.",
    )
    valid_from = models.DateField("valable du")
    valid_to = models.DateField("au", null=True, blank=True, help_text="Vide : sans fin.")
    price_mode = models.CharField(
        "mode de prix", max_length=10, choices=PriceMode.choices, default=PriceMode.FIXED
    )
    price = models.DecimalField(
        "prix à l'unité",
        **PRICE,
        null=True,
        blank=True,
        help_text="Par jour, par heure ou par forfait, selon le type de la prestation.",
    )
    unbooked_price = models.DecimalField(
        "prix si non prévu",
        **PRICE,
        null=True,
        blank=True,
        help_text="Enfant présent sans réservation. Vide : le prix normal.",
    )
    unjustified_absence_price = models.DecimalField(
        "prix si absence injustifiée",
        **PRICE,
        null=True,
        blank=True,
        help_text="Vide : le prix normal.",
    )
    effort_rate = models.DecimalField(
        "taux d'effort",
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
        help_text="Prix = taux × quotient familial, borné par le minimum et le maximum.",
    )
    effort_min = models.DecimalField("prix minimum", **PRICE, null=True, blank=True)
    effort_max = models.DecimalField("prix maximum", **PRICE, null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "tarif"
        verbose_name_plural = "tarifs"
        ordering = ["prestation", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="tariff_period_ordered",
            ),
            ExclusionConstraint(
                name="tariff_periods_do_not_overlap",
                expressions=[
                    (IdRange("prestation"), RangeOperators.OVERLAPS),
                    (Period("valid_from", "valid_to"), RangeOperators.OVERLAPS),
                ],
                violation_error_message=(
                    "Un autre tarif de cette prestation couvre déjà une partie de cette période."
                ),
            ),
            *non_negative(
                "price",
                "unbooked_price",
                "unjustified_absence_price",
                "effort_rate",
                "effort_min",
                "effort_max",
            ),
        ]

    def __str__(self) -> str:
        end = f" au {self.valid_to:%d/%m/%Y}" if self.valid_to else ""
        return f"{self.label or self.prestation} — du {self.valid_from:%d/%m/%Y}{end}"


class TariffBracket(models.Model):
    """« De 500 à 1000 : 0,65 € »; an empty maximum means « à partir de »."""

    tariff = models.ForeignKey(
        Tariff, verbose_name="tarif", on_delete=models.PROTECT, related_name="brackets"
    )
    qf_min = models.PositiveIntegerField("QF de")
    qf_max = models.PositiveIntegerField("QF à", null=True, blank=True)
    price = models.DecimalField("prix", **PRICE)

    class Meta:
        verbose_name = "tranche de quotient familial"
        verbose_name_plural = "tranches de quotient familial"
        ordering = ["tariff", "qf_min"]
        constraints = [
            models.CheckConstraint(
                condition=Q(qf_max__isnull=True) | Q(qf_max__gte=F("qf_min")),
                name="bracket_ordered",
            ),
            ExclusionConstraint(
                name="brackets_do_not_overlap",
                expressions=[
                    (IdRange("tariff"), RangeOperators.OVERLAPS),
                    (QfRange(), RangeOperators.OVERLAPS),
                ],
                violation_error_message="Les tranches de quotient familial se chevauchent.",
            ),
            *non_negative("price"),
        ]

    def __str__(self) -> str:
        top = f"à {self.qf_max}" if self.qf_max is not None else "et plus"
        return f"QF {self.qf_min} {top} : {self.price} €"
