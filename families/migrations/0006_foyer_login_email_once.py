"""One foyer per login e-mail, whatever its case.

Foyers already sharing an address are listed and the migration stops: which one keeps it
is the mairie's decision (the other may belong to a family that moved), not a script's.
"""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


def refuse_shared_emails(apps, schema_editor):
    Foyer = apps.get_model("families", "Foyer")
    shared = (
        Foyer.objects.exclude(email="")
        .annotate(login=django.db.models.functions.text.Lower("email"))
        .values("login")
        .annotate(n=models.Count("pk"))
        .filter(n__gt=1)
    )
    if shared:
        logins = ", ".join(sorted(row["login"] for row in shared))
        raise RuntimeError(
            f"Schema {schema_editor.connection.schema_name}: several foyers share the login "
            f"e-mail {logins}. Give each its own (or blank the duplicates) and migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0005_import_job"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_shared_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="foyer",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="foyer_login_email_once",
                violation_error_message="Un autre foyer a déjà cette adresse e-mail de connexion : chaque foyer a la sienne (les majuscules ne comptent pas). Vérifiez l'adresse, ou retrouvez ce foyer par la recherche.",
            ),
        ),
    ]
