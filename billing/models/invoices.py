"""Numbers, runs, invoices, their lines and credit notes: the documents billing issues."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from billing.models._fields import MONEY
from billing.models.attendance import Attendance
from portal.storage import private_storage


class BillingProfile(models.Model):
    """How a service numbers and presents its invoices (one per service)."""

    service = models.OneToOneField(
        "reservations.Service",
        verbose_name="service",
        on_delete=models.PROTECT,
        related_name="billing_profile",
    )
    code = models.CharField(
        "code des factures",
        max_length=10,
        help_text="Dans le numéro : « CAN » donne 2026-CAN-000123.",
    )
    invoice_pattern = models.CharField(
        "modèle de numéro de facture",
        max_length=60,
        default="{year}-{code}-{number:06d}",
        help_text="{year}, {code} et {number} (par exemple {number:06d} sur 6 chiffres).",
    )
    credit_pattern = models.CharField(
        "modèle de numéro d'avoir", max_length=60, default="{year}-{code}-AV-{number:06d}"
    )
    receipt_pattern = models.CharField(
        "modèle de numéro de reçu", max_length=60, default="{year}-{code}-R-{number:06d}"
    )
    due_days = models.PositiveSmallIntegerField("échéance (jours après l'émission)", default=30)
    payment_instructions = models.TextField(
        "comment payer",
        blank=True,
        help_text="Montré sur la facture : régie (adresse, horaires), chèque à l'ordre de…",
    )

    class Meta:
        verbose_name = "paramètres de facturation"
        verbose_name_plural = "paramètres de facturation"

    def __str__(self) -> str:
        return f"Facturation — {self.service}"


class CounterKind(models.TextChoices):
    INVOICE = "invoice", "Factures"
    CREDIT = "credit", "Avoirs"
    RECEIPT = "receipt", "Reçus de paiement"


class NumberCounter(models.Model):
    """The last number given per service, year and kind: incremented under a row lock, so
    numbers are continuous (no gap, no duplicate) whatever runs at the same time."""

    service = models.ForeignKey(
        "reservations.Service", verbose_name="service", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("année")
    kind = models.CharField("type", max_length=10, choices=CounterKind.choices)
    last = models.PositiveIntegerField("dernier numéro", default=0)

    class Meta:
        verbose_name = "compteur de numéros"
        verbose_name_plural = "compteurs de numéros"
        constraints = [
            models.UniqueConstraint(fields=["service", "year", "kind"], name="counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} : {self.last}"


# --- Invoices ---------------------------------------------------------------------------


class RunStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminée"
    FAILED = "failed", "Échouée"


class InvoiceRun(models.Model):
    """One « Générer les factures » for a service and a period, with its progress."""

    service = models.ForeignKey(
        "reservations.Service",
        verbose_name="service",
        on_delete=models.PROTECT,
        related_name="invoice_runs",
    )
    period_start = models.DateField("du")
    period_end = models.DateField("au")
    status = models.CharField(
        "état", max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    foyers_total = models.PositiveIntegerField("foyers à facturer", default=0)
    foyers_done = models.PositiveIntegerField("foyers traités", default=0)
    invoices_created = models.PositiveIntegerField("factures émises", default=0)
    foyers_already_billed = models.PositiveIntegerField("foyers déjà facturés", default=0)
    total = models.DecimalField("montant émis", **MONEY, default=0)
    error = models.TextField("erreur", blank=True)
    created_by = models.ForeignKey(
        "portal.User",
        verbose_name="lancée par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("lancée le", auto_now_add=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "génération de factures"
        verbose_name_plural = "générations de factures"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="run_period_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} du {self.period_start:%d/%m/%Y} au {self.period_end:%d/%m/%Y}"

    @property
    def percent(self) -> int:
        if not self.foyers_total:
            return 100 if self.status == RunStatus.DONE else 0
        return min(100, round(100 * self.foyers_done / self.foyers_total))


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Facture"
    PREPAID = "prepaid", "Ticket de prépaiement"


class InvoiceStatus(models.TextChoices):
    DUE = "due", "À régler"
    PARTIAL = "partial", "Partiellement réglée"
    PAID = "paid", "Payée"
    CREDITED = "credited", "Annulée par avoir"


def invoice_pdf_upload_to(instance: Invoice, filename: str) -> str:
    from django.db import connection

    return f"{connection.schema_name}/factures/{instance.issued_on:%Y}/{instance.number}.pdf"


class Invoice(models.Model):
    """An issued invoice: never edited nor deleted; corrected by credit notes."""

    kind = models.CharField(
        "type", max_length=10, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    number = models.CharField("numéro", max_length=40, unique=True)
    service = models.ForeignKey(
        "reservations.Service",
        verbose_name="service",
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    foyer = models.ForeignKey(
        "families.Foyer", verbose_name="foyer", on_delete=models.PROTECT, related_name="invoices"
    )
    run = models.ForeignKey(
        InvoiceRun,
        verbose_name="génération",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    period_start = models.DateField("période du")
    period_end = models.DateField("au")
    issued_on = models.DateField("émise le")
    due_on = models.DateField("à régler avant le")
    total = models.DecimalField("montant", **MONEY)
    # Copies made at issue: the legal document does not change when the foyer moves.
    payer_name = models.CharField("au nom de", max_length=320)
    payer_address = models.TextField("adresse", blank=True)
    foyer_name = models.CharField("foyer (à l'émission)", max_length=150)
    service_name = models.CharField("service (à l'émission)", max_length=150)
    issuer = models.JSONField("émetteur (à l'émission)", default=dict)
    # What follows the money after issue (the only columns that may change).
    status = models.CharField(
        "état", max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DUE
    )
    amount_paid = models.DecimalField("réglé", **MONEY, default=0)
    amount_credited = models.DecimalField("avoirs", **MONEY, default=0)
    paid_at = models.DateTimeField("soldée le", null=True, blank=True)
    pdf = models.FileField(
        "PDF", upload_to=invoice_pdf_upload_to, storage=private_storage, blank=True
    )
    emailed_at = models.DateTimeField("envoyée par e-mail le", null=True, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        ordering = ["-issued_on", "-number"]
        constraints = [
            # One invoice per foyer, service and period: a second run bills nothing twice.
            models.UniqueConstraint(
                fields=["foyer", "service", "period_start", "period_end"],
                condition=Q(kind="invoice"),
                name="invoice_once_per_foyer_period",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0)
                & Q(amount_credited__gte=0)
                & Q(total__gte=F("amount_paid") + F("amount_credited")),
                name="invoice_not_overpaid",
            ),
        ]
        indexes = [
            models.Index(fields=["foyer", "status"], name="invoice_foyer_status"),
            models.Index(fields=["service", "period_start"], name="invoice_service_period"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self):
        """What is still due."""
        return self.total - self.amount_paid - self.amount_credited


class InvoiceLine(models.Model):
    """One billed child-day (or forfait period) of a prestation, with its copied labels."""

    invoice = models.ForeignKey(
        Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="lines"
    )
    child = models.ForeignKey(
        "families.Child", verbose_name="enfant", on_delete=models.PROTECT, related_name="+"
    )
    child_name = models.CharField("enfant (à l'émission)", max_length=310)
    prestation = models.ForeignKey(
        "reservations.Prestation",
        verbose_name="prestation",
        on_delete=models.PROTECT,
        related_name="+",
    )
    label = models.CharField("libellé", max_length=255)
    day = models.DateField("jour", null=True, blank=True)
    period_start = models.DateField("forfait du", null=True, blank=True)
    period_end = models.DateField("au", null=True, blank=True)
    quantity = models.DecimalField("quantité", max_digits=10, decimal_places=4)
    unit_price = models.DecimalField("prix unitaire", max_digits=14, decimal_places=6)
    amount = models.DecimalField("montant", **MONEY)
    booking = models.ForeignKey(
        "reservations.Booking",
        verbose_name="réservation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
    )
    attendance = models.ForeignKey(
        Attendance,
        verbose_name="pointage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
    )

    class Meta:
        verbose_name = "ligne de facture"
        verbose_name_plural = "lignes de facture"
        ordering = ["invoice", "child_name", "day", "pk"]
        constraints = [
            # A booking or a presence without booking is billed once, whatever runs.
            models.UniqueConstraint(
                fields=["booking"], condition=Q(booking__isnull=False), name="line_booking_once"
            ),
            models.UniqueConstraint(
                fields=["attendance"],
                condition=Q(attendance__isnull=False, booking__isnull=True),
                name="line_presence_once",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="line_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.label


def credit_pdf_upload_to(instance: CreditNote, filename: str) -> str:
    from django.db import connection

    return f"{connection.schema_name}/avoirs/{instance.issued_on:%Y}/{instance.number}.pdf"


class CreditNote(models.Model):
    """An avoir: corrects an invoice, in whole or per line, with its own number."""

    number = models.CharField("numéro", max_length=40, unique=True)
    invoice = models.ForeignKey(
        Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="credit_notes"
    )
    issued_on = models.DateField("émis le")
    reason = models.CharField("motif", max_length=255)
    total = models.DecimalField("montant", **MONEY)
    by_user = models.ForeignKey(
        "portal.User",
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    pdf = models.FileField(
        "PDF", upload_to=credit_pdf_upload_to, storage=private_storage, blank=True
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "avoir"
        verbose_name_plural = "avoirs"
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="credit_total_positive")
        ]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(
        CreditNote, verbose_name="avoir", on_delete=models.PROTECT, related_name="lines"
    )
    invoice_line = models.ForeignKey(
        InvoiceLine,
        verbose_name="ligne de facture",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_lines",
    )
    label = models.CharField("libellé", max_length=255)
    amount = models.DecimalField("montant", **MONEY)

    class Meta:
        verbose_name = "ligne d'avoir"
        verbose_name_plural = "lignes d'avoir"
        ordering = ["credit_note", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_line_positive"),
            # A line is credited once (a partial credit of a line is a total one of it).
            models.UniqueConstraint(
                fields=["invoice_line"],
                condition=Q(invoice_line__isnull=False),
                name="credit_line_once",
            ),
        ]

    def __str__(self) -> str:
        return self.label
