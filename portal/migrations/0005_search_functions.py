"""The SQL functions of the forgiving search (portal.search), in the public schema.

Every collectivité's schema reaches them: its search path ends with public.
"""

from django.db import migrations

from portal.search import DROP_SQL, FOLD_SQL, PHONE_SQL


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_names_refuse_invisible_controls")]

    operations = [migrations.RunSQL(FOLD_SQL + PHONE_SQL, DROP_SQL)]
