"""invoice_run and pdf: a month of post-facturation for 10 000 children, then their PDFs.

A throw-away collectivité (dropped afterwards): 10 000 children in 5 000 foyers, the seed 000
prestations (cantine, garderie matin and soir T2 by QF bracket), every child booked on the
20 school days of November 2026 for the 3 prestations (600 000 bookings, loaded by COPY),
with unjustified absences and presences without booking marked. Times the preview (nothing
written) and the real run, each in its own process to read its peak memory, then renders
PDFs of the run's invoices and reports them per second of CPU (one core).

BENCH_CHILDREN (default 10 000) and BENCH_PDFS (default 200) scale it down or up.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
import resource
import time

SCHEMA = "bench_invoice_run"
CHILDREN = int(os.environ.get("BENCH_CHILDREN", "10000"))
PDFS = int(os.environ.get("BENCH_PDFS", "200"))
MONTH = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def _school_days() -> list[dt.date]:
    day, days = MONTH[0], []
    while day <= MONTH[1] and len(days) < 20:
        if day.isoweekday() <= 5 and day != dt.date(2026, 11, 11):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def _seed(tenant) -> None:
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from billing.models import Tariff, TariffBracket
    from reservations.models import Prestation, Service

    with tenant_context(tenant):
        service = Service.objects.create(name="GROUPE SCOLAIRE", billing_mode="postfacturation")
        common = {"weekdays": [1, 2, 3, 4, 5], "capacity": CHILDREN, "rule_time": dt.time(17)}
        cantine = Prestation.objects.create(
            service=service,
            name="CANTINE",
            booking_rule="weekly",
            rule_weekday=2,
            start_time=dt.time(12),
            end_time=dt.time(13, 30),
            **common,
        )
        hourly = {"kind": "hourly", "booking_rule": "days_before", **common}
        matin = Prestation.objects.create(
            service=service,
            name="GARDERIE MATIN",
            start_time=dt.time(7, 30),
            end_time=dt.time(8, 30),
            **hourly,
        )
        soir = Prestation.objects.create(
            service=service,
            name="GARDERIE SOIR T2",
            start_time=dt.time(16, 30),
            end_time=dt.time(18, 30),
            **hourly,
        )
        Tariff.objects.create(
            prestation=cantine,
            valid_from=MONTH[0],
            price=Decimal("3.60"),
            unbooked_price=Decimal("5.40"),
            unjustified_absence_price=Decimal("5.40"),
        )
        for prestation in (matin, soir):
            tariff = Tariff.objects.create(
                prestation=prestation, valid_from=MONTH[0], price_mode="brackets"
            )
            for low, high, price in ((0, 499, "0.60"), (500, 1000, "0.65"), (1001, None, "0.80")):
                TariffBracket.objects.create(
                    tariff=tariff, qf_min=low, qf_max=high, price=Decimal(price)
                )
        now = timezone.now().isoformat()
        foyers = CHILDREN // 2
        days = _school_days()
        prestations = [cantine.pk, matin.pk, soir.pk]
        with connection.cursor() as cursor:
            raw = cursor.cursor
            _copy(
                raw,
                "families_foyer",
                ["id", "name", "email", "created_at"],
                ((i, f"FOYER {i:05d}", "", now) for i in range(1, foyers + 1)),
            )
            _copy(
                raw,
                "families_responsable",
                [
                    "foyer_id",
                    "rank",
                    "civilite",
                    "last_name",
                    "first_name",
                    "phone",
                    "phone_secondary",
                    "email",
                    "email_secondary",
                    "address",
                    "notification",
                ],
                (
                    (
                        i,
                        1,
                        "MME",
                        f"FOYER {i:05d}",
                        "Anne",
                        "",
                        "",
                        "",
                        "",
                        "1 rue\\n81000",
                        "email",
                    )
                    for i in range(1, foyers + 1)
                ),
            )
            _copy(
                raw,
                "families_quotientfamilial",
                ["foyer_id", "value", "source", "valid_from", "created_at"],
                (
                    (i, 300 + (i * 37) % 1200, "CAF", "2026-09-01", now)
                    for i in range(1, foyers + 1, 2)
                ),
            )
            _copy(
                raw,
                "families_child",
                [
                    "id",
                    "foyer_id",
                    "last_name",
                    "first_name",
                    "birth_date",
                    "sexe",
                    "school",
                    "classe",
                    "regime",
                    "allergies",
                    "pai",
                ],
                (
                    (
                        c,
                        (c - 1) // 2 + 1,
                        "ENFANT",
                        f"E{c}",
                        "2017-01-01",
                        "F",
                        "",
                        "CE1",
                        "classique",
                        "",
                        "f",
                    )
                    for c in range(1, CHILDREN + 1)
                ),
            )
            _copy(
                raw,
                "reservations_booking",
                ["child_id", "prestation_id", "day", "state", "created_at", "updated_at"],
                (
                    (c, p, d, "validated", now, now)
                    for c in range(1, CHILDREN + 1)
                    for d in days
                    for p in prestations
                ),
            )
            # 1 day in 40 absent without justification, 1 in 100 present without booking.
            _copy(
                raw,
                "billing_attendance",
                ["child_id", "prestation_id", "day", "status", "marked_at"],
                (
                    (c, cantine.pk, days[c % len(days)], "absent_unjustified", now)
                    for c in range(1, CHILDREN + 1, 2)
                ),
            )
            # The ids were given by COPY: move the sequences past them.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('families_foyer', 'id'), %s),"
                " setval(pg_get_serial_sequence('families_child', 'id'), %s)",
                [foyers, CHILDREN],
            )
            cursor.execute("ANALYZE")


def _measure(tenant, kind: str, queue) -> None:
    from django.db import connection
    from django_tenants.utils import tenant_context

    from billing.models import InvoiceLine, InvoiceRun
    from billing.services.invoicing import invoice_preview
    from billing.services.runs import invoice_run_execute
    from reservations.models import Service

    connection.close()
    with tenant_context(tenant):
        service = Service.objects.get()
        started = time.perf_counter()
        if kind == "preview":
            preview = invoice_preview(service=service, start=MONTH[0], end=MONTH[1])
            figures = {"invoices": len(preview.bills), "lines": preview.lines}
        else:
            run = InvoiceRun.objects.create(
                service=service, period_start=MONTH[0], period_end=MONTH[1]
            )
            run = invoice_run_execute(run=run, today=dt.date(2026, 12, 1))
            figures = {"invoices": run.invoices_created, "lines": InvoiceLine.objects.count()}
        figures["seconds"] = round(time.perf_counter() - started, 2)
    figures["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    queue.put(figures)


def _in_child(target, *args) -> dict:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    figures = queue.get(timeout=1800)
    process.join()
    return figures


def _pdfs(tenant, queue) -> None:
    from django.db import connection
    from django.db.models import Prefetch
    from django_tenants.utils import tenant_context

    from billing.documents import BATCH, invoices_pdf
    from billing.models import Invoice, InvoiceLine

    connection.close()
    with tenant_context(tenant):
        lines = InvoiceLine.objects.order_by("child_name", "day", "period_start", "pk")
        invoices = list(
            Invoice.objects.order_by("pk").prefetch_related(Prefetch("lines", queryset=lines))[
                :PDFS
            ]
        )
        pages = sum(1 for _ in invoices)
        cpu, wall = time.process_time(), time.perf_counter()
        size = 0
        for first in range(0, len(invoices), BATCH):
            size += sum(len(pdf) for pdf in invoices_pdf(invoices[first : first + BATCH]).values())
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    queue.put(
        {
            "invoices": pages,
            "lines_each": round(sum(i.lines.count() for i in invoices) / max(pages, 1), 1),
            "cpu_seconds": round(cpu, 2),
            "wall_seconds": round(wall, 2),
            "per_s_per_core": round(pages / cpu, 1),
            "kb_each": round(size / 1024 / max(pages, 1), 1),
        }
    )


def run() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.db import connection, connections

    from tenants.models import Collectivite
    from tenants.services import collectivite_create

    old = Collectivite.objects.filter(schema_name=SCHEMA).first()
    if old:
        old.delete(force_drop=True)
    tenant = collectivite_create(schema_name=SCHEMA, name="BENCH", domain=f"{SCHEMA}.invalid")
    try:
        started = time.perf_counter()
        _seed(tenant)
        seeded = round(time.perf_counter() - started, 1)
        connection.set_schema_to_public()
        connections.close_all()
        preview = _in_child(_measure, tenant, "preview")
        real = _in_child(_measure, tenant, "run")
        pdf = _in_child(_pdfs, tenant)
        return {
            "invoice_run": {
                "children": CHILDREN,
                "bookings": CHILDREN * 20 * 3,
                "seed_seconds": seeded,
                "preview_seconds": preview["seconds"],
                "preview_peak_mb": preview["peak_mb"],
                "lines": real["lines"],
                "invoices": real["invoices"],
                "seconds": real["seconds"],
                "peak_mb": real["peak_mb"],
            },
            "pdf": pdf,
        }
    finally:
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)
