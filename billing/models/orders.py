"""Prépaiement orders: what a validated cart costs, priced at that instant, until it is paid.

An order is not a legal document: it has no number (numbers are not wasted on abandoned
carts). Once paid it becomes a ticket, an Invoice of kind PREPAID, numbered then.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from billing.models._fields import MONEY


class OrderStatus(models.TextChoices):
    OPEN = "open", "À payer"
    PAID = "paid", "Payée"
    FAILED = "failed", "Paiement refusé"
    CANCELLED = "cancelled", "Paiement abandonné"
    EXPIRED = "expired", "Délai de paiement dépassé"


class PrepaidOrder(models.Model):
    """The held lines of one prépaiement service for one foyer, and their prices."""

    foyer = models.ForeignKey(
        "families.Foyer", verbose_name="foyer", on_delete=models.PROTECT, related_name="orders"
    )
    service = models.ForeignKey(
        "reservations.Service", verbose_name="service", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "état", max_length=10, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    total = models.DecimalField("total", **MONEY)
    held_until = models.DateTimeField("places retenues jusqu'au")
    ticket = models.OneToOneField(
        "billing.Invoice",
        verbose_name="ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order",
    )
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    closed_at = models.DateTimeField("close le", null=True, blank=True)

    class Meta:
        verbose_name = "commande de prépaiement"
        verbose_name_plural = "commandes de prépaiement"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(ticket__isnull=False), name="order_paid_has_ticket"
            ),
        ]
        indexes = [models.Index(fields=["status", "held_until"], name="order_open")]

    def __str__(self) -> str:
        return f"Commande {self.pk} — {self.total} €"

    @property
    def reference(self) -> str:
        """The order's reference for providers: letters and digits only (PayFiP's refdet)."""
        return f"CMD{self.pk:09d}"


class PrepaidOrderLine(models.Model):
    """One held booking and the price it had when the cart was validated (never re-priced)."""

    order = models.ForeignKey(
        PrepaidOrder, verbose_name="commande", on_delete=models.PROTECT, related_name="lines"
    )
    booking = models.ForeignKey(
        "reservations.Booking",
        verbose_name="réservation",
        on_delete=models.PROTECT,
        related_name="order_lines",
    )
    child = models.ForeignKey(
        "families.Child", verbose_name="enfant", on_delete=models.PROTECT, related_name="+"
    )
    child_name = models.CharField("enfant", max_length=310)
    prestation = models.ForeignKey(
        "reservations.Prestation",
        verbose_name="prestation",
        on_delete=models.PROTECT,
        related_name="+",
    )
    label = models.CharField("libellé", max_length=255)
    day = models.DateField("jour")
    quantity = models.DecimalField("quantité", max_digits=10, decimal_places=4)
    unit_price = models.DecimalField("prix unitaire", max_digits=14, decimal_places=6)
    amount = models.DecimalField("montant", **MONEY)

    class Meta:
        verbose_name = "ligne de commande"
        verbose_name_plural = "lignes de commande"
        ordering = ["order", "child_name", "day", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_line_not_negative"),
        ]

    def __str__(self) -> str:
        return self.label
