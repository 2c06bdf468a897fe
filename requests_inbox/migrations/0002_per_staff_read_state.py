"""« Non lu » per staff member: a ThreadRead per thread and person.

What the mairie had read together becomes each current staff member's own starting mark, so
nobody finds every old request unread the day this ships.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def shared_mark_to_each(apps, schema_editor):
    Thread = apps.get_model("requests_inbox", "Thread")
    ThreadRead = apps.get_model("requests_inbox", "ThreadRead")
    Membership = apps.get_model("tenants", "Membership")
    staff = list(
        Membership.objects.filter(
            collectivite__schema_name=schema_editor.connection.schema_name
        ).values_list("user_id", flat=True)
    )
    read = Thread.objects.filter(staff_read_at__isnull=False).values_list("pk", "staff_read_at")
    ThreadRead.objects.bulk_create(
        [
            ThreadRead(thread_id=pk, user_id=user_id, read_at=read_at)
            for pk, read_at in read
            for user_id in staff
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("requests_inbox", "0001_initial"),
        ("tenants", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ThreadRead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("read_at", models.DateTimeField(verbose_name="lue jusqu'au")),
                (
                    "thread",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reads",
                        to="requests_inbox.thread",
                        verbose_name="demande",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="lue par",
                    ),
                ),
            ],
            options={
                "verbose_name": "lecture d'une demande",
                "verbose_name_plural": "lectures des demandes",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("thread", "user"), name="thread_read_once_per_staff"
                    )
                ],
            },
        ),
        migrations.RunPython(shared_mark_to_each, migrations.RunPython.noop),
    ]
