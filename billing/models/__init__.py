"""Tariffs, attendance (pointage), invoices and credit notes, in the collectivité's schema.

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
from billing.models.tariffs import PriceMode, Tariff, TariffBracket

__all__ = [
    "Attendance",
    "AttendanceMark",
    "AttendanceStatus",
    "AttendanceUnlock",
    "BillingProfile",
    "CounterKind",
    "CreditNote",
    "CreditNoteLine",
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceRun",
    "InvoiceStatus",
    "NumberCounter",
    "PriceMode",
    "RunStatus",
    "Tariff",
    "TariffBracket",
    "credit_pdf_upload_to",
    "invoice_pdf_upload_to",
]
