"""The database refuses to edit or delete records of money received (SPEC section 6).

Payments, the foyers' account entries, order lines, debit runs and their items, reminders and
the notifications log never change; transactions, orders and mandates change state but are
never deleted; an exception to the segregation of duties may only be revoked. Uses
``billing_refuse_change`` from migration 0002.
"""

from django.db import migrations

PAYMENT = "Un paiement enregistré ne se modifie ni ne se supprime : enregistrez une annulation."
KEPT = "Cet enregistrement de la régie ne se modifie ni ne se supprime."
NOT_DELETED = "Cet enregistrement de la régie ne se supprime pas."
EXCEPTION = "Une exception accordée ne se modifie pas : révoquez-la."

KEPT_TABLES = {
    "billing_payment": PAYMENT,
    "billing_accountentry": KEPT,
    "billing_prepaidorderline": KEPT,
    "billing_debitrun": KEPT,
    "billing_debititem": KEPT,
    "billing_reminder": KEPT,
    "billing_paymentnotice": KEPT,
}
NOT_DELETED_TABLES = (
    "billing_paymenttransaction",
    "billing_prepaidorder",
    "billing_sepamandate",
    "billing_dutyexception",
)
EXCEPTION_FROZEN = (
    "user_id",
    "user_email",
    "capability",
    "reason",
    "granted_by_id",
    "granted_by_email",
    "granted_at",
)


def _sql() -> str:
    parts = [
        f"""
CREATE TRIGGER {table}_kept BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change('{message}');
"""
        for table, message in KEPT_TABLES.items()
    ]
    parts += [
        f"""
CREATE TRIGGER {table}_kept BEFORE DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change('{NOT_DELETED}');
"""
        for table in NOT_DELETED_TABLES
    ]
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in EXCEPTION_FROZEN)
    parts.append(
        f"""
CREATE TRIGGER billing_dutyexception_frozen BEFORE UPDATE ON billing_dutyexception
    FOR EACH ROW WHEN ({changed})
    EXECUTE FUNCTION billing_refuse_change('{EXCEPTION}');
"""
    )
    return "".join(parts)


def _reverse() -> str:
    tables = (*KEPT_TABLES, *NOT_DELETED_TABLES)
    drops = [f"DROP TRIGGER IF EXISTS {table}_kept ON {table};" for table in tables]
    drops.append("DROP TRIGGER IF EXISTS billing_dutyexception_frozen ON billing_dutyexception;")
    return "\n".join(drops)


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_payments")]

    operations = [migrations.RunSQL(_sql(), _reverse())]
