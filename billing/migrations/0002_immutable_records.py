"""The database refuses to edit or delete what billing must keep (SPEC section 6).

Runs in each collectivité's schema (a tenant app's migration), so the function is created
there. An issued invoice may only change the columns that follow its money (status, paid,
credited, PDF, e-mail); its lines, credit notes, their lines and attendance history never
change; nothing of these is deleted. TRUNCATE (test flushes) is not a row event.
"""

from django.db import migrations

FROZEN_INVOICE_COLUMNS = (
    "kind",
    "number",
    "service_id",
    "foyer_id",
    "run_id",
    "period_start",
    "period_end",
    "issued_on",
    "due_on",
    "total",
    "payer_name",
    "payer_address",
    "foyer_name",
    "service_name",
    "issuer",
    "created_at",
)
FROZEN_CREDIT_COLUMNS = (
    "number",
    "invoice_id",
    "issued_on",
    "reason",
    "total",
    "by_user_id",
    "created_at",
)

FUNCTION = """
CREATE OR REPLACE FUNCTION billing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'integrity_constraint_violation',
        MESSAGE = TG_ARGV[0],
        HINT = 'billing-immutable';
END;
$$;
"""


def _frozen(table: str, columns: tuple[str, ...], message: str) -> str:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    return f"""
CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table}
    FOR EACH ROW WHEN ({changed})
    EXECUTE FUNCTION billing_refuse_change('{message}');
CREATE TRIGGER {table}_kept BEFORE DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change('{message}');
"""


def _kept(table: str, message: str) -> str:
    return f"""
CREATE TRIGGER {table}_kept BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change('{message}');
"""


INVOICE = "Une facture émise ne se modifie ni ne se supprime : corrigez-la par un avoir."
CREDIT = "Un avoir émis ne se modifie ni ne se supprime."
HISTORY = "L''historique du pointage ne se modifie ni ne se supprime."
ATTENDANCE = "Un pointage ne se supprime pas : changez son état."

SQL = "".join(
    [
        FUNCTION,
        _frozen("billing_invoice", FROZEN_INVOICE_COLUMNS, INVOICE),
        _kept("billing_invoiceline", INVOICE),
        _frozen("billing_creditnote", FROZEN_CREDIT_COLUMNS, CREDIT),
        _kept("billing_creditnoteline", CREDIT),
        _kept("billing_attendancemark", HISTORY),
        f"""
CREATE TRIGGER billing_attendance_kept BEFORE DELETE ON billing_attendance
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change('{ATTENDANCE}');
""",
    ]
)
REVERSE = """
DROP TRIGGER IF EXISTS billing_invoice_frozen ON billing_invoice;
DROP TRIGGER IF EXISTS billing_invoice_kept ON billing_invoice;
DROP TRIGGER IF EXISTS billing_invoiceline_kept ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_creditnote_frozen ON billing_creditnote;
DROP TRIGGER IF EXISTS billing_creditnote_kept ON billing_creditnote;
DROP TRIGGER IF EXISTS billing_creditnoteline_kept ON billing_creditnoteline;
DROP TRIGGER IF EXISTS billing_attendancemark_kept ON billing_attendancemark;
DROP TRIGGER IF EXISTS billing_attendance_kept ON billing_attendance;
DROP FUNCTION IF EXISTS billing_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
