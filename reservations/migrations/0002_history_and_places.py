"""Booking history that stays, reasons, one place rule, overlapping hours refused.

Runs in each collectivité's schema (migrate_schemas): its triggers and functions are
created there, next to the tables they guard.
"""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

# Notes the code wrote before reasons existed, and the reason each one meant. Applied in
# this order to events still on the default reason; parents' own events keep « parent ».
NOTE_REASONS = [
    (Q(note="Place libérée : liste d'attente"), "waitlist_promotion"),
    (Q(note="Paiement non reçu à temps"), "hold_expired"),
    (Q(note__startswith="Absence justifiée"), "justified_absence"),
    (Q(by_staff=True, note="Saisie par la mairie"), "deadline_override"),
    (Q(by_staff=True, state="refused"), "staff_refusal"),
    (Q(by_staff=True, state="validated"), "approval"),
    (Q(by_staff=True, state="cancelled"), "staff_cancellation"),
]


def reasons_infer(apps, schema_editor):
    """Give old events a reason from their note, and each booking its last event's."""
    Booking = apps.get_model("reservations", "Booking")
    BookingEvent = apps.get_model("reservations", "BookingEvent")
    for condition, reason in NOTE_REASONS:
        BookingEvent.objects.filter(condition, reason="parent").update(reason=reason)
    last = BookingEvent.objects.filter(booking=OuterRef("pk")).order_by("-at", "-pk")
    Booking.objects.update(
        state_reason=Coalesce(Subquery(last.values("reason")[:1]), Value("parent"))
    )
    # held_until is set exactly when the line is held (constraint below).
    Booking.objects.exclude(state="held").exclude(held_until=None).update(held_until=None)
    Booking.objects.filter(state="held", held_until=None).update(held_until=F("updated_at"))


# The slot of a prestation, in minutes from midnight, as the trigger below copies it.
SLOT_OF_P = """CASE WHEN p.start_time IS NOT NULL AND p.end_time > p.start_time
    THEN int4range(extract(epoch FROM p.start_time)::int / 60,
                   extract(epoch FROM p.end_time)::int / 60) END"""

SLOT_FILL = f"""
CREATE FUNCTION reservations_booking_slot_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The service and hours come from the prestation, whoever inserts the row.
    SELECT p.service_id, {SLOT_OF_P} INTO NEW.service_id, NEW.slot
    FROM reservations_prestation p WHERE p.id = NEW.prestation_id;
    RETURN NEW;
END $$;
CREATE TRIGGER booking_slot_fill
    BEFORE INSERT OR UPDATE OF prestation_id, service_id, slot ON reservations_booking
    FOR EACH ROW EXECUTE FUNCTION reservations_booking_slot_fill();
"""  # noqa: S608 (module constants only)
# The bookings already there get theirs the same way.
SLOT_BACKFILL = f"""
UPDATE reservations_booking b SET service_id = p.service_id, slot = {SLOT_OF_P}
FROM reservations_prestation p WHERE p.id = b.prestation_id;
"""  # noqa: S608 (module constants only)
SLOT_FILL_REVERSE = """
DROP TRIGGER booking_slot_fill ON reservations_booking;
DROP FUNCTION reservations_booking_slot_fill();
"""

# Rows booked before the constraint with overlapping hours: the later one is cancelled,
# with the reason and a note, so that the constraint can be created.
ACTIVE = "('cart', 'held', 'pending', 'validated', 'cancel_requested')"
OVERLAPS_CANCEL = f"""
WITH clash AS (
    SELECT DISTINCT later.id FROM reservations_booking later
    JOIN reservations_booking earlier ON earlier.child_id = later.child_id
        AND earlier.day = later.day AND earlier.service_id = later.service_id
        AND earlier.slot && later.slot
        AND (earlier.created_at, earlier.id) < (later.created_at, later.id)
    WHERE later.state IN {ACTIVE} AND earlier.state IN {ACTIVE}
), cancelled AS (
    UPDATE reservations_booking b
    SET state = 'cancelled', state_reason = 'staff_cancellation', held_until = NULL
    FROM clash WHERE b.id = clash.id RETURNING b.id
)
INSERT INTO reservations_bookingevent (booking_id, state, reason, by_staff, note, at)
SELECT id, 'cancelled', 'staff_cancellation', true,
    'Horaires en chevauchement avec une autre réservation du même service', now()
FROM cancelled;
"""  # noqa: S608 (module constants only)

# Bookings past the cart and every event stay: the database refuses to delete them, and to
# change an event, whoever asks (admin, shell, raw SQL). A cart line still leaves the cart
# with its events (reservations.services.cart). The constraint name lets the application
# turn the error into its French message (reservations.exceptions.HISTORY_KEPT).
HISTORY_KEPT = """
CREATE FUNCTION reservations_booking_history_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'cart' THEN
        RAISE EXCEPTION 'Une réservation envoyée ne peut pas être supprimée : annulez-la.'
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'booking_history_kept';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER booking_history_kept BEFORE DELETE ON reservations_booking
    FOR EACH ROW EXECUTE FUNCTION reservations_booking_history_kept();

CREATE FUNCTION reservations_bookingevent_history_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM reservations_booking b WHERE b.id = OLD.booking_id AND b.state = 'cart'
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'L''historique d''une réservation ne peut être ni modifié ni supprimé.'
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'booking_history_kept';
END $$;
CREATE TRIGGER bookingevent_history_kept BEFORE UPDATE OR DELETE ON reservations_bookingevent
    FOR EACH ROW EXECUTE FUNCTION reservations_bookingevent_history_kept();
"""
HISTORY_KEPT_REVERSE = """
DROP TRIGGER bookingevent_history_kept ON reservations_bookingevent;
DROP FUNCTION reservations_bookingevent_history_kept();
DROP TRIGGER booking_history_kept ON reservations_booking;
DROP FUNCTION reservations_booking_history_kept();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0001_initial"),
        ("reservations", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="bookingevent",
            options={
                "ordering": ["at", "pk"],
                "verbose_name": "historique de réservation",
                "verbose_name_plural": "historique des réservations",
            },
        ),
        migrations.AlterModelOptions(
            name="waitinglistentry",
            options={
                "ordering": ["prestation", "day", "created_at", "id"],
                "verbose_name": "liste d'attente",
                "verbose_name_plural": "listes d'attente",
            },
        ),
        migrations.AddField(
            model_name="booking",
            name="service",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="reservations.service",
                verbose_name="service",
            ),
        ),
        migrations.AddField(
            model_name="booking",
            name="slot",
            field=django.contrib.postgres.fields.ranges.IntegerRangeField(
                editable=False, null=True, verbose_name="horaire (minutes)"
            ),
        ),
        migrations.AddField(
            model_name="booking",
            name="state_reason",
            field=models.CharField(
                choices=[
                    ("parent", "Demande de la famille"),
                    ("deadline_override", "Saisie par la mairie hors délai"),
                    ("justified_absence", "Absence justifiée"),
                    ("staff_refusal", "Refusée par la mairie"),
                    ("staff_cancellation", "Annulée par la mairie"),
                    ("hold_expired", "Paiement non reçu à temps"),
                    ("payment_received", "Paiement reçu"),
                    ("payment_failed", "Paiement échoué ou abandonné"),
                    ("waitlist_promotion", "Place libérée : liste d'attente"),
                    ("closure", "Fermeture"),
                    ("approval", "Acceptée par la mairie"),
                ],
                default="parent",
                max_length=20,
                verbose_name="raison",
            ),
        ),
        migrations.AddField(
            model_name="bookingevent",
            name="reason",
            field=models.CharField(
                choices=[
                    ("parent", "Demande de la famille"),
                    ("deadline_override", "Saisie par la mairie hors délai"),
                    ("justified_absence", "Absence justifiée"),
                    ("staff_refusal", "Refusée par la mairie"),
                    ("staff_cancellation", "Annulée par la mairie"),
                    ("hold_expired", "Paiement non reçu à temps"),
                    ("payment_received", "Paiement reçu"),
                    ("payment_failed", "Paiement échoué ou abandonné"),
                    ("waitlist_promotion", "Place libérée : liste d'attente"),
                    ("closure", "Fermeture"),
                    ("approval", "Acceptée par la mairie"),
                ],
                default="parent",
                max_length=20,
                verbose_name="raison",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="bookingevent",
            name="booking",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="reservations.booking",
                verbose_name="réservation",
            ),
        ),
        migrations.AlterField(
            model_name="bookingevent",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="le"),
        ),
        migrations.AlterConstraint(
            model_name="booking",
            name="booking_once_per_child_day",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("state__in", ["cart", "held", "pending", "validated", "cancel_requested"])
                ),
                fields=("child", "prestation", "day"),
                name="booking_once_per_child_day",
                violation_error_message=(
                    "Cette prestation est déjà dans votre panier ou réservée ce jour-là."
                ),
            ),
        ),
        migrations.RunPython(reasons_infer, migrations.RunPython.noop),
        migrations.RunSQL(SLOT_FILL, SLOT_FILL_REVERSE),
        migrations.RunSQL(SLOT_BACKFILL, migrations.RunSQL.noop),
        migrations.RunSQL(OVERLAPS_CANCEL, migrations.RunSQL.noop),
        # The rows written above leave deferred foreign-key checks pending, and PostgreSQL
        # alters no table with pending trigger events: run the checks now.
        migrations.RunSQL("SET CONSTRAINTS ALL IMMEDIATE", migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="waitinglistentry",
            index=models.Index(
                condition=models.Q(("promoted_to__isnull", True)),
                fields=["prestation", "day", "created_at", "id"],
                name="waiting_line",
            ),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("held_until__isnull", False), ("state", "held")),
                    models.Q(
                        models.Q(("state", "held"), _negated=True), ("held_until__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="booking_held_until_when_held",
            ),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                condition=models.Q(
                    ("state__in", ["cart", "held", "pending", "validated", "cancel_requested"])
                ),
                expressions=[
                    (
                        models.Func(
                            models.F("child"),
                            models.F("child"),
                            models.Value("[]"),
                            function="int8range",
                            output_field=django.contrib.postgres.fields.ranges.BigIntegerRangeField(),
                        ),
                        "&&",
                    ),
                    (
                        models.Func(
                            models.F("service"),
                            models.F("service"),
                            models.Value("[]"),
                            function="int8range",
                            output_field=django.contrib.postgres.fields.ranges.BigIntegerRangeField(),
                        ),
                        "&&",
                    ),
                    (
                        models.Func(
                            models.F("day"),
                            models.F("day"),
                            models.Value("[]"),
                            function="daterange",
                            output_field=django.contrib.postgres.fields.ranges.DateRangeField(),
                        ),
                        "&&",
                    ),
                    ("slot", "&&"),
                ],
                name="booking_slots_disjoint",
                violation_error_message=(
                    "Cet enfant a déjà, ce jour-là, une prestation de ce service dont les "
                    "horaires chevauchent ceux-ci."
                ),
            ),
        ),
        migrations.RunSQL(HISTORY_KEPT, HISTORY_KEPT_REVERSE),
    ]
