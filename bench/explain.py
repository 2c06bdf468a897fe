"""Print the EXPLAIN ANALYZE of the hot queries on the seed_scale collectivité.

    python manage.py seed_scale            # once (10 000 children, a school year)
    python bench/explain.py [schema]       # default: echelle

The Vue Période of parent 0001 (every query of the page), then the invoice run's queries
for the first batch of foyers of the school year's first month. docs/scaling.md keeps the
plans of the last run.
"""

from __future__ import annotations

import datetime as dt
import sys

from common import django_setup


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def show(title: str, queries) -> None:
    print(f"### {title}\n")
    for n, query in enumerate(queries, start=1):
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        print(f"{n}. `{sql[:160]}{'…' if len(sql) > 160 else ''}`\n\n```")
        print(explain(sql))
        print("```\n")


def main(schema: str) -> None:
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from billing.services.invoicing import draft_bills, foyers_to_bill
    from portal.scale import school_year_start
    from reservations.models import Service
    from tenants.models import Collectivite

    tenant = Collectivite.objects.get(schema_name=schema)
    slug = schema.replace("_", "-")
    user = get_user_model().objects.get(email=f"parent-{slug}-0001@echelle.test")
    host = tenant.get_primary_domain().domain
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    start = school_year_start(timezone.localdate())
    week = f"/reservations/?debut={start + dt.timedelta(weeks=6)}"
    client.get(week)
    with CaptureQueriesContext(connection) as page:
        client.get(week)
    connection.set_schema_to_public()
    with tenant_context(tenant):
        print(f"# {tenant.name}: plans at {timezone.now():%Y-%m-%d %H:%M}\n")
        show("Vue Période (parent 0001, 4 weeks)", page.captured_queries)
        service = Service.objects.get()
        first, last = start.replace(day=1) + dt.timedelta(days=31), None
        first = first.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        with CaptureQueriesContext(connection) as run:
            ids, _ = foyers_to_bill(service=service, start=first, end=last)
            draft_bills(service=service, start=first, end=last, foyer_ids=ids[:500])
        show(f"Invoice run {first:%m/%Y}: foyers to bill, then one batch", run.captured_queries)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "echelle")
