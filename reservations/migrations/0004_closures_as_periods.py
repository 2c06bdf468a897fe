"""Closures become periods (start, end) for a service or some of its prestations.

Each old closure of one day becomes a period of that day; consecutive days closed for the
same service, prestation and motive become one period. A closure of one prestation keeps
it in the new many-to-many; one of the whole service has none. The old closures were never
applied to bookings: they are recorded as applied with nothing cancelled, as they were.
"""

from datetime import timedelta

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def days_to_periods(apps, schema_editor):
    Closure = apps.get_model("reservations", "Closure")
    previous = None
    for closure in Closure.objects.order_by("service_id", "prestation_id", "reason", "day", "pk"):
        same_scope = previous is not None and (
            previous.service_id,
            previous.prestation_id,
            previous.reason,
        ) == (closure.service_id, closure.prestation_id, closure.reason)
        if same_scope and closure.day <= previous.end + timedelta(days=1):
            previous.end = max(previous.end, closure.day)
            previous.save(update_fields=["end"])
            closure.delete()
            continue
        closure.start = closure.end = closure.day
        closure.status = "done"
        closure.save(update_fields=["start", "end", "status"])
        if closure.prestation_id is not None:
            closure.prestations.add(closure.prestation_id)
        previous = closure


def periods_to_days(apps, schema_editor):
    Closure = apps.get_model("reservations", "Closure")
    for closure in Closure.objects.prefetch_related("prestations").order_by("pk"):
        prestations = [p.pk for p in closure.prestations.all()] or [None]
        day = closure.start
        first = True
        while day <= closure.end:
            for prestation_id in prestations:
                if first:
                    closure.day, closure.prestation_id = day, prestation_id
                    closure.save(update_fields=["day", "prestation"])
                    first = False
                else:
                    Closure.objects.create(
                        service_id=closure.service_id,
                        prestation_id=prestation_id,
                        day=day,
                        start=day,
                        end=day,
                        reason=closure.reason,
                    )
            day += timedelta(days=1)


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0001_initial"),
        ("reservations", "0003_prestation_unit_price_in_tariffs"),
    ]

    operations = [
        # Nullable while both shapes live side by side (and on the way back).
        migrations.AlterField(
            model_name="closure",
            name="day",
            field=models.DateField(null=True, verbose_name="jour"),
        ),
        migrations.AddField(
            model_name="closure",
            name="start",
            field=models.DateField(null=True, verbose_name="du"),
        ),
        migrations.AddField(
            model_name="closure",
            name="end",
            field=models.DateField(null=True, verbose_name="au"),
        ),
        migrations.AddField(
            model_name="closure",
            name="prestations",
            field=models.ManyToManyField(
                blank=True,
                related_name="closures",
                to="reservations.prestation",
                verbose_name="prestations (aucune cochée : tout le service)",
            ),
        ),
        migrations.AddField(
            model_name="closure",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "En attente"),
                    ("running", "En cours"),
                    ("done", "Appliquée"),
                    ("failed", "Échouée"),
                ],
                default="queued",
                editable=False,
                max_length=10,
                verbose_name="application",
            ),
        ),
        # The old field's related name is taken by the many-to-many: renamed for the copy.
        migrations.AlterField(
            model_name="closure",
            name="prestation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="reservations.prestation",
            ),
        ),
        # The copies leave deferred foreign-key checks pending, and PostgreSQL refuses to
        # alter a table with pending checks: run them first (both ways).
        migrations.RunSQL(migrations.RunSQL.noop, "SET CONSTRAINTS ALL IMMEDIATE"),
        migrations.RunPython(days_to_periods, periods_to_days),
        migrations.RunSQL("SET CONSTRAINTS ALL IMMEDIATE", migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="closure", name="closure_service_day"),
        migrations.RemoveField(model_name="closure", name="prestation"),
        migrations.RemoveField(model_name="closure", name="day"),
        migrations.AlterField(
            model_name="closure",
            name="start",
            field=models.DateField(verbose_name="du"),
        ),
        migrations.AlterField(
            model_name="closure",
            name="end",
            field=models.DateField(verbose_name="au"),
        ),
        migrations.AlterField(
            model_name="closure",
            name="service",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="closures",
                to="reservations.service",
                verbose_name="service",
            ),
        ),
        migrations.AlterField(
            model_name="closure",
            name="reason",
            field=models.CharField(
                help_text="Envoyé aux familles : « Grève », « Sortie scolaire »…",
                max_length=150,
                verbose_name="motif",
            ),
        ),
        migrations.AddField(
            model_name="closure",
            name="news_post",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="news.post",
                verbose_name="actualité publiée",
            ),
        ),
        migrations.AddField(
            model_name="closure",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="portal.user",
                verbose_name="par",
            ),
        ),
        migrations.AddField(
            model_name="closure",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="créée le"
            ),
        ),
        migrations.AddField(
            model_name="closure",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="version"),
        ),
        migrations.AddField(
            model_name="closure",
            name="bookings_total",
            field=models.PositiveIntegerField(default=0, verbose_name="réservations à annuler"),
        ),
        migrations.AddField(
            model_name="closure",
            name="bookings_done",
            field=models.PositiveIntegerField(default=0, verbose_name="réservations annulées"),
        ),
        migrations.AddField(
            model_name="closure",
            name="foyers_notified",
            field=models.PositiveIntegerField(default=0, verbose_name="familles prévenues"),
        ),
        migrations.AddField(
            model_name="closure",
            name="credits_issued",
            field=models.PositiveIntegerField(default=0, verbose_name="avoirs émis"),
        ),
        migrations.AddField(
            model_name="closure",
            name="error",
            field=models.TextField(blank=True, verbose_name="erreur"),
        ),
        migrations.AddField(
            model_name="closure",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="appliquée le"),
        ),
        migrations.AlterModelOptions(
            name="closure",
            options={
                "ordering": ["-start", "-pk"],
                "verbose_name": "fermeture",
                "verbose_name_plural": "fermetures",
            },
        ),
        migrations.AddConstraint(
            model_name="closure",
            constraint=models.CheckConstraint(
                condition=models.Q(("end__gte", models.F("start"))),
                name="closure_period_ordered",
            ),
        ),
        migrations.AddIndex(
            model_name="closure",
            index=models.Index(fields=["service", "end", "start"], name="closure_service_period"),
        ),
    ]
