"""Admin pages of the régie and the comptable that read other rows (proxies: no table)."""

from __future__ import annotations

from billing.models.invoices import Invoice
from billing.models.payments import Payment


class LatePayer(Invoice):
    class Meta:
        proxy = True
        verbose_name = "retard de paiement"
        verbose_name_plural = "retards de paiement"


class CollectionsReport(Payment):
    class Meta:
        proxy = True
        verbose_name = "encaissements"
        verbose_name_plural = "encaissements"


class EncaissementStatement(Invoice):
    class Meta:
        proxy = True
        verbose_name = "état d'encaissement"
        verbose_name_plural = "états d'encaissement"
