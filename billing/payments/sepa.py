"""Direct debit: SEPA mandates (IBAN and BIC checked by schwifty), a pain.008 file per debit
run (written by sepaxml, validated against its XSD), and rejected debits (R-transactions)
recorded back as reversals on their invoices.

A debit run records each debit as a payment on its collection date; a rejection returned by
the bank later writes the opposite amount and the invoice is due again.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaDD

from billing.exceptions import BillingError
from billing.models import (
    DebitItem,
    DebitRun,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentMode,
    SepaMandate,
)
from billing.payments import settings_get
from billing.payments.base import cents
from billing.services.duties import may
from billing.services.settle import invoice_locked, payment_record
from families.models import Foyer

COLLECT = "billing.collect"
NOT_ALLOWED = "Seul le régisseur gère les prélèvements (séparation des tâches de la régie)."
BAD_IBAN = "IBAN invalide : vérifiez-le sur le RIB de la famille."
BAD_BIC = "BIC invalide : 8 ou 11 caractères, par exemple CCBPFRPPXXX."
BIC_MISMATCH = "Ce BIC ne correspond pas à la banque de l'IBAN."
HOLDER_NEEDED = "Indiquez le titulaire du compte."
FUTURE_SIGNATURE = "Un mandat ne peut pas être signé dans le futur."
CREDITOR_MISSING = (
    "Renseignez d'abord l'ICS, le nom, l'IBAN et le BIC du créancier dans les paramètres "
    "d'encaissement."
)
NOTHING_TO_DEBIT = "Aucune facture à prélever : aucune famille au prélèvement n'a de reste dû."
COLLECTION_IN_PAST = "La date de prélèvement doit être à venir."
ALREADY_REJECTED = "Ce prélèvement a déjà été rejeté."
REJECT_CODE = "Indiquez le code de rejet de la banque (par exemple AM04, MD01)."


def bank_account_check(*, iban: str, bic: str) -> tuple[str, str]:
    """Return the IBAN and BIC in their compact form; raise BillingError when invalid."""
    try:
        account = IBAN(iban)
    except SchwiftyException as error:
        raise BillingError(BAD_IBAN) from error
    try:
        bank = BIC(bic)
    except SchwiftyException as error:
        raise BillingError(BAD_BIC) from error
    known = account.bic
    if known is not None and str(known)[:8] != str(bank)[:8]:
        raise BillingError(BIC_MISMATCH)
    return account.compact, str(bank)


def mandate_create(
    *, foyer: Foyer, holder: str, iban: str, bic: str, signed_on: date, user
) -> SepaMandate:
    """Record the foyer's signed mandate with its RUM; a previous active one is revoked."""
    if not may(user, COLLECT):
        raise BillingError(NOT_ALLOWED)
    holder = (holder or "").strip()
    if not holder:
        raise BillingError(HOLDER_NEEDED)
    if signed_on > timezone.localdate():
        raise BillingError(FUTURE_SIGNATURE)
    iban, bic = bank_account_check(iban=iban, bic=bic)
    with transaction.atomic():
        Foyer.objects.select_for_update().filter(pk=foyer.pk).exists()
        SepaMandate.objects.filter(foyer=foyer, revoked_on__isnull=True).update(
            revoked_on=timezone.localdate()
        )
        count = SepaMandate.objects.filter(foyer=foyer).count()
        prefix = "".join(ch for ch in connection.schema_name.upper() if ch.isalnum())[:10]
        return SepaMandate.objects.create(
            foyer=foyer,
            rum=f"EF-{prefix}-{foyer.pk:08d}-{count + 1:03d}",
            holder=holder[:70],
            iban=iban,
            bic=bic,
            signed_on=signed_on,
        )


def debitable_invoices():
    """Invoices (not tickets) with something due, of foyers with an active mandate."""
    return (
        Invoice.objects.filter(
            kind=InvoiceKind.INVOICE,
            status__in=[InvoiceStatus.DUE, InvoiceStatus.PARTIAL],
            foyer__mandates__revoked_on__isnull=True,
        )
        .select_related("service")
        .order_by("pk")
    )


def debit_run_create(*, collection_date: date, user, invoice_ids=None) -> DebitRun:
    """Write the pain.008 of the invoices to debit on ``collection_date`` (all debitable
    ones, or ``invoice_ids``), validated against the XSD, and record each debit."""
    if not may(user, COLLECT):
        raise BillingError(NOT_ALLOWED)
    if collection_date <= timezone.localdate():
        raise BillingError(COLLECTION_IN_PAST)
    creditor = settings_get()
    if not all(
        (
            creditor.sepa_creditor_id,
            creditor.sepa_creditor_name,
            creditor.sepa_iban,
            creditor.sepa_bic,
        )
    ):
        raise BillingError(CREDITOR_MISSING)
    now = timezone.now()
    with transaction.atomic():
        candidates = debitable_invoices()
        if invoice_ids is not None:
            candidates = candidates.filter(pk__in=list(invoice_ids))
        invoices = [invoice_locked(pk) for pk in candidates.values_list("pk", flat=True)]
        invoices = [invoice for invoice in invoices if invoice.balance > 0]
        if not invoices:
            raise BillingError(NOTHING_TO_DEBIT)
        mandates = {
            m.foyer_id: m
            for m in SepaMandate.objects.filter(
                foyer_id__in={i.foyer_id for i in invoices}, revoked_on__isnull=True
            )
        }
        used = set(
            DebitItem.objects.filter(mandate__in=mandates.values()).values_list(
                "mandate_id", flat=True
            )
        )
        message_id = f"EF{now:%Y%m%d%H%M%S}{connection.schema_name[:8].upper()}"
        document = SepaDD(
            {
                "name": creditor.sepa_creditor_name,
                "IBAN": creditor.sepa_iban,
                "BIC": creditor.sepa_bic,
                "batch": True,
                "creditor_id": creditor.sepa_creditor_id,
                "currency": "EUR",
            },
            schema="pain.008.001.02",
        )
        rows = []
        for invoice in invoices:
            mandate = mandates[invoice.foyer_id]
            end_to_end = f"{message_id}-{invoice.pk}"[-35:]
            document.add_payment(
                {
                    "name": mandate.holder,
                    "IBAN": mandate.iban,
                    "BIC": mandate.bic,
                    "amount": cents(invoice.balance),
                    "type": "RCUR" if mandate.pk in used else "FRST",
                    "collection_date": collection_date,
                    "mandate_id": mandate.rum,
                    "mandate_date": mandate.signed_on,
                    "description": f"Facture {invoice.number}",
                    "endtoend_id": end_to_end,
                }
            )
            rows.append((invoice, mandate, end_to_end, invoice.balance))
        xml = document.export(validate=True, pretty_print=True).decode("utf-8")
        run = DebitRun.objects.create(
            collection_date=collection_date,
            message_id=message_id,
            total=sum((amount for *_, amount in rows), Decimal("0.00")),
            count=len(rows),
            xml=xml,
            by_user_id=user.pk,
        )
        received = timezone.make_aware(
            timezone.datetime.combine(collection_date, timezone.datetime.min.time())
        )
        for invoice, mandate, end_to_end, amount in rows:
            payment = payment_record(
                service=invoice.service,
                foyer_id=invoice.foyer_id,
                mode=PaymentMode.DEBIT,
                amount=amount,
                invoice=invoice,
                received_at=received,
                user=user,
                now=now,
                reference=end_to_end,
            )
            DebitItem.objects.create(
                run=run,
                invoice=invoice,
                mandate=mandate,
                end_to_end_id=end_to_end,
                amount=amount,
                payment=payment,
            )
    return run


def debit_reject(*, item: DebitItem, code: str, user) -> Payment:
    """Record the bank's rejection of a debit: the opposite payment, the invoice due again."""
    if not may(user, COLLECT):
        raise BillingError(NOT_ALLOWED)
    code = (code or "").strip().upper()
    if not code:
        raise BillingError(REJECT_CODE)
    now = timezone.now()
    try:
        with transaction.atomic():
            original = Payment.objects.get(pk=item.payment_id)
            invoice = invoice_locked(item.invoice_id)
            return payment_record(
                service=invoice.service,
                foyer_id=invoice.foyer_id,
                mode=PaymentMode.DEBIT,
                amount=-original.amount,
                invoice=invoice,
                user=user,
                now=now,
                reverses=original,
                reference=item.end_to_end_id,
                note=f"Prélèvement rejeté par la banque (code {code[:10]})",
            )
    except IntegrityError as error:
        raise BillingError(ALREADY_REJECTED) from error
