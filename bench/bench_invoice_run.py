"""invoice_run and pdf: a month of post-facturation for 10 000 children, then their PDFs.

A throw-away collectivité (dropped afterwards): 10 000 children in 5 000 foyers, the seed 000
prestations (cantine, garderie matin and soir T2 by QF bracket), every child booked on the
20 school days of November 2026 for the 3 prestations (600 000 bookings, loaded by COPY),
with unjustified absences and presences without booking marked. Times the preview (nothing
written) and the real run, each in its own process to read its peak memory, then renders
PDFs of the run's invoices and reports them per second of CPU (one core).

The floor (``raw_sql_seconds``): the same invoices and lines from one hand-written
INSERT … SELECT into the real tables (every constraint and foreign key checked at once,
then rolled back), prices joined from the tariffs, brackets and quotients of each day; its
line count and total are checked against the run's.

Then the PDFs as deployed: a real Celery worker (concurrency = CPU count, through Redis)
renders BENCH_PDF_WALL invoices (default 1 000) by batches; ``pdf.wall_1000_s`` is the wall
time from queueing to the last PDF stored.

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
PDF_WALL = int(os.environ.get("BENCH_PDF_WALL", "1000"))
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
    from portal.scale import btree_indexes_rebuilt, without_statement_timeout
    from reservations.models import Prestation, Service

    with tenant_context(tenant), without_statement_timeout():
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
            with btree_indexes_rebuilt("reservations_booking"):
                _copy(
                    raw,
                    "reservations_booking",
                    ["child_id", "prestation_id", "day", "state", "state_reason", "created_at"]
                    + ["updated_at"],
                    (
                        (c, p, d, "validated", "parent", now, now)
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
            figures["total"] = str(run.total)
        figures["seconds"] = round(time.perf_counter() - started, 2)
    figures["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    queue.put(figures)


# What invoicing bills, for this benchmark's data (one tariff per prestation, brackets by
# the day's QF or the highest one without, absences without justification at their price).
PRICED_LINES = """
SELECT c.foyer_id, b.child_id, c.first_name || ' ' || c.last_name AS child_name,
       b.prestation_id,
       CASE WHEN a.status = 'absent_unjustified'
            THEN coalesce(nullif(t.label, ''), p.name) || ' (absence non justifiée)'
            ELSE coalesce(nullif(t.label, ''), p.name) END AS label,
       b.day, q.hours AS quantity, u.price AS unit_price,
       round(q.hours * u.price, 2) AS amount, b.id AS booking_id
FROM reservations_booking b
JOIN reservations_prestation p ON p.id = b.prestation_id AND p.service_id = %(service)s
JOIN families_child c ON c.id = b.child_id
JOIN billing_tariff t ON t.prestation_id = p.id AND t.valid_from <= b.day
     AND (t.valid_to IS NULL OR t.valid_to >= b.day)
LEFT JOIN billing_attendance a
     ON a.child_id = b.child_id AND a.prestation_id = b.prestation_id AND a.day = b.day
LEFT JOIN families_quotientfamilial qf ON qf.foyer_id = c.foyer_id
     AND qf.valid_from <= b.day AND (qf.valid_to IS NULL OR qf.valid_to >= b.day)
LEFT JOIN LATERAL (
    SELECT tb.price FROM billing_tariffbracket tb WHERE tb.tariff_id = t.id
    AND (qf.value IS NULL
         OR (qf.value >= tb.qf_min AND (tb.qf_max IS NULL OR qf.value <= tb.qf_max)))
    ORDER BY tb.qf_min DESC LIMIT 1) br ON true
CROSS JOIN LATERAL (SELECT CASE WHEN p.kind = 'hourly'
    THEN (extract(epoch FROM p.end_time - p.start_time) / 3600)::numeric ELSE 1 END AS hours) q
CROSS JOIN LATERAL (SELECT CASE WHEN a.status = 'absent_unjustified'
    THEN t.unjustified_absence_price ELSE coalesce(t.price, br.price) END AS price) u
WHERE b.day BETWEEN %(start)s AND %(end)s AND b.state IN ('validated', 'cancel_requested')
  AND a.status IS DISTINCT FROM 'absent_justified'
"""
# The floor: one statement writes the invoices (one per foyer, its total) and their lines
# into the real tables, every constraint and foreign key checked.
RAW_SQL = f"""
WITH lines AS ({PRICED_LINES}),
invoices AS (
    INSERT INTO billing_invoice (kind, number, period_start, period_end, issued_on, due_on,
        total, payer_name, payer_address, foyer_name, service_name, issuer, status,
        amount_paid, amount_credited, pdf, created_at, foyer_id, service_id)
    SELECT 'invoice', 'RAW-' || l.foyer_id, %(start)s, %(end)s, %(issued)s, %(due)s,
        sum(l.amount), f.name, '', f.name, 'GROUPE SCOLAIRE', '{{}}'::jsonb, 'due', 0, 0, '',
        now(), l.foyer_id, %(service)s
    FROM lines l JOIN families_foyer f ON f.id = l.foyer_id GROUP BY l.foyer_id, f.name
    RETURNING id, foyer_id)
INSERT INTO billing_invoiceline (invoice_id, child_id, child_name, prestation_id, label, day,
    quantity, unit_price, amount, booking_id)
SELECT i.id, l.child_id, l.child_name, l.prestation_id, l.label, l.day, l.quantity,
    l.unit_price, l.amount, l.booking_id
FROM lines l JOIN invoices i ON i.foyer_id = l.foyer_id
"""


def _raw_sql(tenant, queue) -> None:
    """Time RAW_SQL before the real run, foreign keys checked at once, then roll it back."""
    from django.db import connection, transaction
    from django_tenants.utils import tenant_context

    from reservations.models import Service

    connection.close()
    params = {
        "start": MONTH[0],
        "end": MONTH[1],
        "issued": dt.date(2026, 12, 1),
        "due": dt.date(2026, 12, 31),
    }
    with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
        params["service"] = Service.objects.get().pk
        # One statement writes the month: more than a request's statement_timeout allows.
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        cursor.execute(RAW_SQL, params)
        seconds = time.perf_counter() - started
        cursor.execute(
            "SELECT count(*), coalesce(sum(amount), 0) FROM billing_invoiceline l"
            " JOIN billing_invoice i ON i.id = l.invoice_id WHERE i.number LIKE 'RAW-%%'"
        )
        lines, total = cursor.fetchone()
        transaction.set_rollback(True)
    queue.put({"seconds": round(seconds, 2), "lines": lines, "total": str(total)})


def _pdf_wall(tenant) -> dict:
    """Render PDF_WALL invoices' PDFs on a real Celery worker pool; return the wall time."""
    import subprocess
    import sys
    import tempfile

    from common import ROOT, server_env
    from django.db import connection
    from django_tenants.utils import tenant_context

    from billing.documents import BATCH
    from billing.models import Invoice
    from billing.tasks import invoices_render_task
    from portal.celery import app

    queue = f"bench-pdf-{os.getpid()}"
    name = f"{queue}@{os.uname().nodename}"
    cpus = os.cpu_count() or 1
    with tenant_context(tenant):
        ids = list(Invoice.objects.order_by("pk").values_list("pk", flat=True)[:PDF_WALL])
        Invoice.objects.filter(pk__in=ids).update(pdf="")
    connection.set_schema_to_public()
    with tempfile.TemporaryDirectory() as private:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "-n", name]
            + ["--concurrency", str(cpus), "--loglevel", "WARNING"]
            + ["--without-mingle", "--without-gossip"],
            cwd=ROOT,
            env=server_env(PRIVATE_MEDIA_ROOT=private),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(destination=[name], timeout=1):
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise RuntimeError("the Celery worker did not start")
            started = time.perf_counter()
            with tenant_context(tenant):
                for first in range(0, len(ids), BATCH):
                    invoices_render_task.apply_async(
                        kwargs={"invoice_ids": ids[first : first + BATCH]}, queue=queue
                    )
                while Invoice.objects.filter(pk__in=ids, pdf="").exists():
                    if worker.poll() is not None:
                        raise RuntimeError("the Celery worker stopped")
                    time.sleep(0.2)
            wall = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    connection.set_schema_to_public()
    return {"wall_invoices": len(ids), "wall_workers": cpus, "wall_s": round(wall, 1)}


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
    from common import django_setup

    django_setup()
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
        raw = _in_child(_raw_sql, tenant)
        real = _in_child(_measure, tenant, "run")
        pdf = _in_child(_pdfs, tenant)
        wall = _pdf_wall(tenant)
        pdf.update(wall)
        # The wall time of 1 000 invoices, from what this run rendered (the same if it
        # rendered 1 000: BENCH_PDF_WALL).
        pdf["wall_1000_s"] = round(wall["wall_s"] * 1000 / max(wall["wall_invoices"], 1), 1)
        return {
            "invoice_run": {
                "children": CHILDREN,
                "bookings": CHILDREN * 20 * 3,
                "seed_seconds": seeded,
                "preview_seconds": preview["seconds"],
                "preview_peak_mb": preview["peak_mb"],
                "lines": real["lines"],
                "invoices": real["invoices"],
                "total": real["total"],
                "seconds": real["seconds"],
                "peak_mb": real["peak_mb"],
                "raw_sql_seconds": raw["seconds"],
                "raw_sql_lines": raw["lines"],
                "raw_sql_total": raw["total"],
                "raw_sql_same_lines": raw["lines"] == real["lines"]
                and raw["total"] == real["total"],
                "seconds_over_raw_sql": round(real["seconds"] / max(raw["seconds"], 0.01), 1),
            },
            "pdf": pdf,
        }
    finally:
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)
