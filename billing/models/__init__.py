"""Tariffs, attendance (pointage), invoices, credit notes and payments, in the collectivité's
schema.

Legal documents do not change: an issued invoice, its lines and its credit notes are never
edited or deleted (``billing/migrations`` installs triggers that refuse it, whatever the
client: admin, shell or SQL), and keep a copy of the names, labels and prices they billed.
Only the columns that follow the money after issue (what was paid or credited, the PDF, the
e-mail) may change. Nothing here is deleted by a cascade.
"""

from billing.models.attendance import (
    Attendance,
    AttendanceMark,
    AttendanceStatus,
    AttendanceUnlock,
)
from billing.models.invoices import (
    BillingProfile,
    CounterKind,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    NumberCounter,
    RunStatus,
    credit_pdf_upload_to,
    invoice_pdf_upload_to,
)
from billing.models.orders import OrderStatus, PrepaidOrder, PrepaidOrderLine
from billing.models.payments import (
    COUNTER_MODES,
    FINAL_STATUSES,
    PROVIDER_MODES,
    AccountEntry,
    EntryKind,
    NoticeOutcome,
    PayfipMode,
    Payment,
    PaymentMode,
    PaymentNotice,
    PaymentSettings,
    PaymentTransaction,
    Provider,
    TransactionStatus,
)
from billing.models.regie import (
    DebitItem,
    DebitRun,
    DutyCapability,
    DutyException,
    Reminder,
    SepaMandate,
)
from billing.models.reports import CollectionsReport, EncaissementStatement, LatePayer
from billing.models.tariffs import PriceMode, Tariff, TariffBracket

__all__ = [
    "COUNTER_MODES",
    "FINAL_STATUSES",
    "PROVIDER_MODES",
    "AccountEntry",
    "Attendance",
    "AttendanceMark",
    "AttendanceStatus",
    "AttendanceUnlock",
    "BillingProfile",
    "CollectionsReport",
    "CounterKind",
    "CreditNote",
    "CreditNoteLine",
    "DebitItem",
    "DebitRun",
    "DutyCapability",
    "DutyException",
    "EncaissementStatement",
    "EntryKind",
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceRun",
    "InvoiceStatus",
    "LatePayer",
    "NoticeOutcome",
    "NumberCounter",
    "OrderStatus",
    "PayfipMode",
    "Payment",
    "PaymentMode",
    "PaymentNotice",
    "PaymentSettings",
    "PaymentTransaction",
    "PrepaidOrder",
    "PrepaidOrderLine",
    "PriceMode",
    "Provider",
    "Reminder",
    "RunStatus",
    "SepaMandate",
    "Tariff",
    "TariffBracket",
    "TransactionStatus",
    "credit_pdf_upload_to",
    "invoice_pdf_upload_to",
]
