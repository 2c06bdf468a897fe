"""Money received: the collectivité's payment settings, online transactions, payments (one
receipt number each), the foyers' accounts (avoirs) and the log of provider notifications.

A payment is a record of money: never edited nor deleted (billing migration 0005's
triggers). A mistake is corrected by a new row: a reversal (a rejected direct debit), an
entry on the foyer's account.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from billing.models._fields import MONEY


class PayfipMode(models.TextChoices):
    TEST = "T", "T — test"
    ACTIVATION = "X", "X — activation (qualification)"
    PRODUCTION = "W", "W — production"


DELAYS = RegexValidator(
    r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$",
    "Indiquez des nombres de jours séparés par des virgules, par exemple « 15,30 ».",
)


class PaymentSettings(models.Model):
    """How this collectivité collects: one row (``settings_get`` creates it)."""

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    payfip_numcli = models.CharField(
        "numéro client PayFiP (identifiant structure publique)",
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", "Le numéro client PayFiP compte 6 chiffres.")],
    )
    payfip_online = models.BooleanField(
        "payer en ligne par PayFiP",
        default=False,
        help_text="Les familles règlent sur PayFiP depuis « Mes factures ».",
    )
    payfip_mode = models.CharField(
        "saisie PayFiP", max_length=1, choices=PayfipMode.choices, default=PayfipMode.TEST
    )
    sepa_creditor_id = models.CharField(
        "identifiant créancier SEPA (ICS)",
        max_length=35,
        blank=True,
        validators=[
            RegexValidator(r"^[A-Z]{2}\d{2}[A-Z0-9]{1,31}$", "Un ICS ressemble à FR12ZZZ123456.")
        ],
    )
    sepa_creditor_name = models.CharField("nom du créancier", max_length=70, blank=True)
    sepa_iban = models.CharField("IBAN du créancier (compte au Trésor)", max_length=34, blank=True)
    sepa_bic = models.CharField("BIC du créancier", max_length=11, blank=True)
    reminder_delays = models.CharField(
        "relances (jours après l'échéance)",
        max_length=40,
        default="15,30",
        validators=[DELAYS],
        help_text="Une relance par délai, une seule fois chacune.",
    )
    demo = models.BooleanField(
        "paiements de démonstration",
        default=False,
        help_text="Aucun argent réel : les paiements en ligne passent par une page de "
        "démonstration.",
    )

    class Meta:
        verbose_name = "paramètres d'encaissement"
        verbose_name_plural = "paramètres d'encaissement"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="payment_settings_single")
        ]

    def __str__(self) -> str:
        return "Paramètres d'encaissement"

    @property
    def delays(self) -> list[int]:
        """The reminder delays in days, sorted, each once (« 30, 15 » → [15, 30])."""
        return sorted({int(part) for part in self.reminder_delays.split(",") if part.strip()})


class Provider(models.TextChoices):
    STRIPE = "stripe", "Carte bancaire (Stripe)"
    DEMO = "demo", "Paiement de démonstration"
    PAYFIP = "payfip", "PayFiP"


class TransactionStatus(models.TextChoices):
    PENDING = "pending", "En cours"
    PAID = "paid", "Payée"
    FAILED = "failed", "Refusée"
    CANCELLED = "cancelled", "Abandonnée"
    REJECTED = "rejected", "Montant non conforme"


FINAL_STATUSES = (
    TransactionStatus.PAID,
    TransactionStatus.FAILED,
    TransactionStatus.CANCELLED,
    TransactionStatus.REJECTED,
)


class PaymentTransaction(models.Model):
    """One attempt to pay online: an invoice's balance or a prépaiement order's total.

    ``amount`` is what the provider is asked for; ``credit_used`` the avoir taken from the
    foyer's account first (reserved when the attempt starts, given back if it fails). The
    pair (provider, provider_id) is unique: a notification finds its row, locks it, and a
    row already settled records nothing more.
    """

    provider = models.CharField("prestataire", max_length=10, choices=Provider.choices)
    provider_id = models.CharField("référence du prestataire", max_length=255, blank=True)
    foyer = models.ForeignKey(
        "families.Foyer", verbose_name="foyer", on_delete=models.PROTECT, related_name="+"
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name="facture",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    order = models.ForeignKey(
        "billing.PrepaidOrder",
        verbose_name="commande",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    amount = models.DecimalField("montant demandé", **MONEY)
    credit_used = models.DecimalField("avoir utilisé", **MONEY, default=0)
    status = models.CharField(
        "état", max_length=10, choices=TransactionStatus.choices, default=TransactionStatus.PENDING
    )
    redirect_url = models.URLField("adresse de paiement", max_length=1000, blank=True)
    detail = models.TextField("détail", blank=True)
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("commencée le", auto_now_add=True)
    closed_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "transaction en ligne"
        verbose_name_plural = "transactions en ligne"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id"],
                condition=~Q(provider_id=""),
                name="transaction_once_per_provider_id",
            ),
            models.CheckConstraint(
                condition=Q(invoice__isnull=True, order__isnull=False)
                | Q(invoice__isnull=False, order__isnull=True),
                name="transaction_pays_one_thing",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(credit_used__gte=0),
                name="transaction_amounts_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["status", "provider"], name="transaction_pending")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.provider_id or self.pk}"


class PaymentMode(models.TextChoices):
    CARD = "card", "Carte bancaire en ligne"
    PAYFIP = "payfip", "PayFiP"
    DEMO = "demo", "Paiement de démonstration"
    CASH = "cash", "Espèces"
    CHEQUE = "cheque", "Chèque"
    CESU = "cesu", "CESU"
    TRANSFER = "transfer", "Virement"
    DEBIT = "debit", "Prélèvement SEPA"
    CREDIT = "credit", "Avoir (compte de la famille)"


COUNTER_MODES = (PaymentMode.CASH, PaymentMode.CHEQUE, PaymentMode.CESU, PaymentMode.TRANSFER)
PROVIDER_MODES = {
    Provider.STRIPE: PaymentMode.CARD,
    Provider.DEMO: PaymentMode.DEMO,
    Provider.PAYFIP: PaymentMode.PAYFIP,
}


class Payment(models.Model):
    """Money received for an invoice (or, paid late for a closed order, for the foyer's
    account), with its receipt number. Never changed nor deleted: a rejected debit is a new
    row of the opposite amount that ``reverses`` it."""

    receipt_number = models.CharField("n° de reçu", max_length=40, unique=True)
    service = models.ForeignKey(
        "reservations.Service", verbose_name="service", on_delete=models.PROTECT, related_name="+"
    )
    foyer = models.ForeignKey(
        "families.Foyer", verbose_name="foyer", on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name="facture",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    transaction = models.ForeignKey(
        PaymentTransaction,
        verbose_name="transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    mode = models.CharField("mode", max_length=10, choices=PaymentMode.choices)
    amount = models.DecimalField("montant", **MONEY)
    received_at = models.DateTimeField("reçu le")
    cheque_number = models.CharField("n° de chèque", max_length=30, blank=True)
    bank = models.CharField("banque", max_length=100, blank=True)
    reference = models.CharField("référence", max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name="annule le paiement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
    )
    note = models.CharField("motif", max_length=255, blank=True)
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="enregistré par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "paiement"
        verbose_name_plural = "paiements"
        ordering = ["-received_at", "-pk"]
        constraints = [
            # One payment per transaction and mode (its avoir part, its card part): however
            # many notifications arrive, a transaction pays once.
            models.UniqueConstraint(
                fields=["transaction", "mode"],
                condition=Q(transaction__isnull=False),
                name="payment_once_per_transaction",
            ),
            models.CheckConstraint(
                condition=(Q(amount__gt=0) & Q(reverses__isnull=True))
                | (Q(amount__lt=0) & Q(reverses__isnull=False)),
                name="payment_positive_unless_reversal",
            ),
        ]
        indexes = [models.Index(fields=["received_at", "mode"], name="payment_journal")]

    def __str__(self) -> str:
        return self.receipt_number


class EntryKind(models.TextChoices):
    CREDIT_NOTE = "credit_note", "Avoir sur une facture payée"
    LATE_PAYMENT = "late_payment", "Paiement reçu après la fin de la commande"
    RESERVED = "reserved", "Réservé pour un paiement en cours"
    RELEASED = "released", "Rendu : paiement non abouti"
    USED = "used", "Utilisé pour un paiement"


class AccountEntry(models.Model):
    """A line of the foyer's account: positive credits it (an avoir on a paid invoice, a
    payment with nothing left to pay), negative uses it. The balance is their sum."""

    foyer = models.ForeignKey(
        "families.Foyer",
        verbose_name="foyer",
        on_delete=models.PROTECT,
        related_name="account_entries",
    )
    kind = models.CharField("nature", max_length=15, choices=EntryKind.choices)
    amount = models.DecimalField("montant", **MONEY)
    credit_note = models.ForeignKey(
        "billing.CreditNote",
        verbose_name="avoir",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment = models.ForeignKey(
        Payment,
        verbose_name="paiement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    transaction = models.ForeignKey(
        PaymentTransaction,
        verbose_name="transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    label = models.CharField("libellé", max_length=255)
    at = models.DateTimeField("le")

    class Meta:
        verbose_name = "écriture du compte famille"
        verbose_name_plural = "comptes des familles"
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="account_entry_not_zero"),
            # A transaction reserves once and is given back at most once.
            models.UniqueConstraint(
                fields=["transaction", "kind"],
                condition=Q(transaction__isnull=False),
                name="account_entry_once_per_transaction",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class NoticeOutcome(models.TextChoices):
    RECORDED = "recorded", "Paiement enregistré"
    DUPLICATE = "duplicate", "Déjà traitée"
    PENDING = "pending", "Toujours en cours"
    FAILED = "failed", "Paiement refusé ou abandonné"
    REFUSED = "refused", "Refusée (anomalie)"
    UNKNOWN = "unknown", "Transaction inconnue"


class PaymentNotice(models.Model):
    """What each provider notification (or status check) led to, for staff to read."""

    provider = models.CharField("prestataire", max_length=10, choices=Provider.choices)
    provider_id = models.CharField("référence du prestataire", max_length=255, blank=True)
    transaction = models.ForeignKey(
        PaymentTransaction,
        verbose_name="transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
    )
    outcome = models.CharField("résultat", max_length=10, choices=NoticeOutcome.choices)
    message = models.CharField("message", max_length=500)
    at = models.DateTimeField("reçue le", auto_now_add=True)

    class Meta:
        verbose_name = "notification de paiement"
        verbose_name_plural = "journal des notifications de paiement"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.provider_id} : {self.get_outcome_display()}"
