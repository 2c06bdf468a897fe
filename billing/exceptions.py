"""Errors of billing, with the French message staff and families see."""

from __future__ import annotations


class BillingError(Exception):
    message = "L'opération de facturation n'a pas pu être enregistrée."

    def __init__(self, message: str | None = None):
        self.message = message or self.message
        super().__init__(self.message)


class ImmutableRecord(BillingError):
    """The database refused to change or delete an issued document (see migration 0002)."""

    message = "Une facture émise ne se modifie ni ne se supprime : corrigez-la par un avoir."
