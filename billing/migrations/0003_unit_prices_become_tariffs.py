"""Each prestation's old « prix à l'unité » becomes a fixed tariff, before the field goes.

Reservations migration 0003 removes ``Prestation.unit_price`` after this one: from then on
the tariff engine prices every line (billing.tariffs), the prépaiement cart included.
"""

import datetime

from django.db import migrations

SINCE = datetime.date(2000, 1, 1)


def forwards(apps, schema_editor):
    Prestation = apps.get_model("reservations", "Prestation")
    Tariff = apps.get_model("billing", "Tariff")
    for prestation in Prestation.objects.filter(unit_price__isnull=False):
        if not Tariff.objects.filter(prestation=prestation).exists():
            Tariff.objects.create(
                prestation=prestation,
                valid_from=SINCE,
                price_mode="fixed",
                price=prestation.unit_price,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_immutable_records"),
        ("reservations", "0002_history_and_places"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
