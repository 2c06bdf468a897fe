"""Volume for the benchmarks: one big collectivité with a school year, plus small ones.

``scale_seed`` fills a collectivité's schema by COPY (bookings, attendance, families), never
through the services one row at a time: 10 000 children over a school year are about two
million bookings. The rows are what the services would have written (validated bookings,
past days pointed), so the pages, the invoice run and the admin read them as real ones.
``python manage.py seed_scale`` is the command; bench/ calls the same functions.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

# Seed 000's groupe scolaire: cantine, garderie matin and soir T1/T2, on a four-day week.
WEEKDAYS = [1, 2, 4, 5]
PRESTATIONS = (
    # name, kind, start, end, booking rule
    ("CANTINE", "unit", dt.time(12), dt.time(13, 30), "weekly"),
    ("GARDERIE MATIN", "hourly", dt.time(7, 30), dt.time(8, 30), "days_before"),
    ("GARDERIE SOIR T1", "hourly", dt.time(16, 30), dt.time(17, 30), "days_before"),
    ("GARDERIE SOIR T2", "hourly", dt.time(16, 30), dt.time(18, 30), "days_before"),
)
BRACKETS = ((0, 499, "0.60"), (500, 1000, "0.65"), (1001, None, "0.80"))
# Who books what (by child number): 9 in 10 eat at the cantine, 3 in 10 come in the
# morning, 1 in 10 stays until 17:30 and 3 in 10 until 18:30 (never both evenings).
CANTINE_SKIPS_ONE_DAY_IN = 10
PASSWORD = "Echelle-Bench-2026"
WRITTEN = (
    "families_foyer",
    "families_responsable",
    "families_quotientfamilial",
    "families_child",
    "reservations_service",
    "reservations_prestation",
    "reservations_booking",
    "billing_tariff",
    "billing_tariffbracket",
    "billing_attendance",
)


@dataclass
class Seeded:
    schema: str
    children: int
    foyers: int
    days: int
    bookings: int
    attendance: int
    accounts: int
    staff: int
    seconds: float = 0.0


def school_year_start(today: dt.date) -> dt.date:
    """The Monday of the week of 1 September that opened the school year of ``today``."""
    year = today.year if today.month >= 8 else today.year - 1
    first = dt.date(year, 9, 1)
    return first - dt.timedelta(days=first.weekday())


def school_days(start: dt.date, weeks: int, zone: str) -> list[dt.date]:
    """The days of ``weeks`` weeks from ``start`` the groupe scolaire opens (no holidays)."""
    from reservations.calendar import ClosureCalendar

    calendar = ClosureCalendar(zone=zone)
    days = (start + dt.timedelta(days=n) for n in range(weeks * 7))
    return [day for day in days if day.isoweekday() in WEEKDAYS and calendar.is_open(day)]


def _copy(table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    """COPY ``rows`` into ``table`` of the current schema; return how many."""
    count = 0
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


@contextmanager
def without_statement_timeout() -> Iterator[None]:
    """Lift the per-statement limit of this connection for the block.

    Requests stop any statement after DB_STATEMENT_TIMEOUT_MS (settings); a bulk load
    (seed_scale, the benchmarks' COPY of 600 000 bookings) legitimately runs longer. RESET
    goes back to the connection's own setting.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


@contextmanager
def btree_indexes_rebuilt(table: str) -> Iterator[None]:
    """Drop ``table``'s plain btree indexes for the block, then build them again.

    Building an index once over sorted rows costs a fraction of updating it row by row.
    Measured on 172 800 bookings: 10,6 s with every index, 4,8 s without the btrees. The
    primary key and the GiST exclusion constraint stay: rebuilding the GiST one afterwards
    took 22,8 s, more than keeping it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = current_schema() AND i.tablename = %s"
            " AND i.indexdef LIKE '%%USING btree%%' AND NOT EXISTS ("
            "   SELECT 1 FROM pg_constraint c"
            "   WHERE c.conindid"
            "   = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        # Deferred foreign-key checks still queued on the table forbid building an index.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _setval(table: str, value: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, max(value, 1)]
        )


def _max_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 (our names)
        return cursor.fetchone()[0]


def _service_and_prestations(capacity: int):
    from billing.models import Tariff, TariffBracket
    from reservations.models import Prestation, Service

    service = Service.objects.create(name="GROUPE SCOLAIRE", billing_mode="postfacturation")
    prestations = []
    for order, (name, kind, start, end, rule) in enumerate(PRESTATIONS):
        prestations.append(
            Prestation.objects.create(
                service=service,
                name=name,
                kind=kind,
                weekdays=WEEKDAYS,
                start_time=start,
                end_time=end,
                capacity=capacity,
                booking_rule=rule,
                rule_weekday=2 if rule == "weekly" else None,
                rule_time=dt.time(12) if rule == "weekly" else dt.time(17),
                is_meal=name == "CANTINE",
                display_order=order,
            )
        )
    valid_from = dt.date(2000, 1, 1)
    Tariff.objects.create(
        prestation=prestations[0],
        valid_from=valid_from,
        price=Decimal("3.60"),
        unbooked_price=Decimal("5.40"),
        unjustified_absence_price=Decimal("5.40"),
    )
    for prestation in prestations[1:]:
        tariff = Tariff.objects.create(
            prestation=prestation, valid_from=valid_from, price_mode="brackets"
        )
        TariffBracket.objects.bulk_create(
            TariffBracket(tariff=tariff, qf_min=low, qf_max=high, price=Decimal(price))
            for low, high, price in BRACKETS
        )
    return service, prestations


def _booked(child: int, index: int, prestation: int) -> bool:
    """Whether child number ``child`` books prestation number ``prestation`` on school
    day number ``index`` (the mix of CANTINE_SKIPS_ONE_DAY_IN and the comment above)."""
    if prestation == 0:
        return (child + index) % CANTINE_SKIPS_ONE_DAY_IN != 0
    group = child % 10
    if prestation == 1:
        return group < 3
    if prestation == 2:
        return group == 3
    return group in (4, 5, 6)


def _absent(child: int, index: int) -> bool:
    return (child + 3 * index) % 40 == 0


def _accounts(prefix: str, count: int, domain: str) -> list:
    """``count`` confirmed accounts ``<prefix>0001@<domain>``…, all with PASSWORD."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    password = make_password(PASSWORD)  # hashed once: Argon2 costs ~50 ms a hash
    now = timezone.now()
    emails = [f"{prefix}{n:04d}@{domain}" for n in range(1, count + 1)]
    user_model.objects.bulk_create(
        (user_model(email=email, password=password, email_confirmed_at=now) for email in emails),
        ignore_conflicts=True,
    )
    return list(user_model.objects.filter(email__in=emails).order_by("email"))


def scale_fill(
    collectivite,
    *,
    children: int,
    foyers: int,
    weeks: int,
    start: dt.date,
    today: dt.date,
    accounts: int = 0,
    staff: int = 0,
) -> Seeded:
    """Fill ``collectivite``'s (empty) schema: families, a school year of bookings from
    ``start``, the days before ``today`` pointed; ``accounts`` parents and ``staff`` agents
    of its own can log in (password PASSWORD)."""
    from tenants.models import Adhesion, Membership, Role

    started = time.perf_counter()
    foyers = max(1, min(foyers, children))
    days = school_days(start, weeks, collectivite.holiday_zone)
    slug = collectivite.schema_name.replace("_", "-")
    parents = _accounts(f"parent-{slug}-", min(accounts, foyers), "echelle.test")
    agents = _accounts(f"agent-{slug}-", staff, "echelle.test")
    now = timezone.now()
    Adhesion.objects.bulk_create(
        (Adhesion(user=user, collectivite=collectivite) for user in parents),
        ignore_conflicts=True,
    )
    Membership.objects.bulk_create(
        (
            Membership(user=user, collectivite=collectivite, role=Role.AGENT, accepted_at=now)
            for user in agents
        ),
        ignore_conflicts=True,
    )
    users = {n: user.pk for n, user in enumerate(parents, start=1)}
    with tenant_context(collectivite), without_statement_timeout(), transaction.atomic():
        _, prestations = _service_and_prestations(capacity=children)
        ids = [p.pk for p in prestations]
        _copy(
            "families_foyer",
            ["id", "name", "email", "user_id", "created_at"],
            (
                (n, f"FOYER {n:05d}", f"foyer{n:05d}@echelle.test", users.get(n), now)
                for n in range(1, foyers + 1)
            ),
        )
        _copy(
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
                (n, 1, "MME", f"FOYER {n:05d}", "Anne", "", "", "", "", "1 rue\n81000", "email")
                for n in range(1, foyers + 1)
            ),
        )
        # Half the foyers have a quotient familial (the others pay the highest bracket).
        _copy(
            "families_quotientfamilial",
            ["foyer_id", "value", "source", "valid_from", "created_at"],
            ((n, 300 + (n * 37) % 1200, "CAF", start, now) for n in range(1, foyers + 1, 2)),
        )
        # Children 1..C, spread over the foyers (the first foyers get the extra ones).
        _copy(
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
                    (c - 1) % foyers + 1,
                    f"FOYER {(c - 1) % foyers + 1:05d}",
                    f"Enfant{c}",
                    dt.date(2015 + c % 6, 1 + c % 12, 1 + c % 28),
                    "F" if c % 2 else "G",
                    "ÉCOLE DU CENTRE",
                    "CE1",
                    "classique",
                    "",
                    False,
                )
                for c in range(1, children + 1)
            ),
        )
        # Booking ids are given here, so attendance can point at the few it marks absent
        # without a lookup (and without holding two million ids in memory).
        absent: dict[tuple[int, int], int] = {}

        def booking_rows():
            pk = 0
            for index, day in enumerate(days):
                for c in range(1, children + 1):
                    for p, prestation in enumerate(ids):
                        if _booked(c, index, p):
                            pk += 1
                            if p == 0 and day < today and _absent(c, index):
                                absent[(c, index)] = pk
                            yield (pk, c, prestation, day, "validated", "parent", now, now)

        with btree_indexes_rebuilt("reservations_booking"):
            bookings = _copy(
                "reservations_booking",
                [
                    "id",
                    "child_id",
                    "prestation_id",
                    "day",
                    "state",
                    "state_reason",
                    "created_at",
                    "updated_at",
                ],
                booking_rows(),
            )
        # Past days are pointed where they differ from the booking (unmarked = as booked):
        # 1 cantine day in 40 absent without justification, 1 morning in 100 present
        # without booking.
        marks = []
        for index, day in enumerate(days):
            if day >= today:
                break
            for c in range(1, children + 1):
                if (c, index) in absent:
                    marks.append((c, ids[0], day, "absent_unjustified", absent[(c, index)]))
                if c % 10 >= 3 and (c + index) % 100 == 0:
                    marks.append((c, ids[1], day, "present", None))
        attendance = _copy(
            "billing_attendance",
            ["child_id", "prestation_id", "day", "status", "booking_id", "marked_at"],
            ((c, p, day, status, booking, now) for c, p, day, status, booking in marks),
        )
        for table, value in (
            ("families_foyer", foyers),
            ("families_child", children),
            ("reservations_booking", bookings),
        ):
            _setval(table, value)
        # A live database has planner statistics; tables filled a second ago have none.
        # These tables only: a database-wide ANALYZE in one transaction locks every table
        # of every schema (out of shared memory past a few hundred collectivités).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(WRITTEN)}")
    return Seeded(
        schema=collectivite.schema_name,
        children=children,
        foyers=foyers,
        days=len(days),
        bookings=bookings,
        attendance=attendance,
        accounts=len(parents),
        staff=len(agents),
        seconds=round(time.perf_counter() - started, 2),
    )


def scale_drop(schema: str) -> bool:
    """Drop the collectivité ``schema``, its schema and its accounts; say if it existed."""
    from django.contrib.auth import get_user_model

    from tenants.models import Collectivite

    collectivite = Collectivite.objects.filter(schema_name=schema).first()
    if collectivite is not None:
        connection.set_schema_to_public()
        # The schema first: its foyers point at the accounts removed below.
        collectivite.delete(force_drop=True)
    slug = schema.replace("_", "-")
    get_user_model().objects.filter(
        email__regex=rf"^(parent|agent)-{slug}-[0-9]{{4}}@echelle\.test$"
    ).delete()
    return collectivite is not None
