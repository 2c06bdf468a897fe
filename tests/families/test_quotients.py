"""One quotient familial at a time per foyer: the database, the admin and the import agree.

The periods are kept apart by the exclusion constraint quotient_periods_disjoint (ranges
only: the embedded PostgreSQL has no btree_gist); the admin and the import show its French
message and save nothing.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.html import escape

from families.models import QUOTIENTS_OVERLAP, QuotientFamilial
from families.resources import QF_FROM, QF_SOURCE, QF_TO, QF_VALUE, UNKNOWN_SOURCE
from tenants.models import Role
from tests.factories import FoyerFactory, MembershipFactory, QuotientFamilialFactory
from tests.families.test_import import GOOD_ROWS, HEADERS, _counts, _dry_run, _import

pytestmark = pytest.mark.django_db

SEPTEMBER = datetime.date(2025, 9, 1)


@pytest.fixture
def agent_client(tenant_a, client_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


def test_the_database_refuses_overlapping_periods_however_they_are_written(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        open_ended = QuotientFamilialFactory(valid_from=SEPTEMBER)  # valid_to NULL: no end
        foyer = open_ended.foyer
        # The ORM without full_clean(), as a shell or a script would.
        with pytest.raises(IntegrityError, match="quotient_periods_disjoint"), transaction.atomic():
            QuotientFamilial.objects.create(
                foyer=foyer, value=900, source="MSA", valid_from=datetime.date(2026, 3, 1)
            )
        with (
            pytest.raises(IntegrityError, match="quotient_periods_disjoint"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "INSERT INTO families_quotientfamilial"
                " (foyer_id, value, source, valid_from, valid_to, created_at)"
                " VALUES (%s, 1, 'CAF', '2024-01-01', '2025-09-01', now())",
                [foyer.pk],
            )
        # Closed the day before, the next period fits; another foyer's never clashes.
        open_ended.valid_to = datetime.date(2026, 2, 28)
        open_ended.save()
        QuotientFamilial.objects.create(
            foyer=foyer, value=900, source="MSA", valid_from=datetime.date(2026, 3, 1)
        )
        QuotientFamilialFactory(valid_from=SEPTEMBER)
        assert QuotientFamilial.objects.filter(foyer=foyer).count() == 2


def test_model_validation_gives_the_constraints_french_message(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        current = QuotientFamilialFactory(valid_from=SEPTEMBER, valid_to=None)
        with pytest.raises(ValidationError) as refused:
            QuotientFamilial(
                foyer=current.foyer, value=1, source="CAF", valid_from=datetime.date(2026, 1, 1)
            ).full_clean()
    assert refused.value.messages == [QUOTIENTS_OVERLAP]


QF_HEADERS = [*HEADERS, QF_VALUE, QF_SOURCE, QF_FROM, QF_TO]


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(QF_HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_the_import_sets_a_foyers_quotient_once_for_all_its_children(
    agent_client, tenant_a, in_tenant
):
    quotient = ["612", "CAF", "01/09/2025", ""]
    rows = [[*GOOD_ROWS[0], *quotient], [*GOOD_ROWS[1], *quotient], [*GOOD_ROWS[2], "", "", "", ""]]
    assert _import(agent_client, _csv(rows)).status_code == 302
    with in_tenant(tenant_a):
        (saved,) = QuotientFamilial.objects.filter(foyer__name="MARTIN")
        assert (saved.value, saved.source, saved.valid_from, saved.valid_to) == (
            612,
            "CAF",
            SEPTEMBER,
            None,
        )
        assert saved.set_by is not None  # the agent who imported it
        assert not QuotientFamilial.objects.filter(foyer__name="DURAND").exists()


def test_the_import_refuses_an_overlapping_quotient_and_imports_nothing(
    agent_client, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        martin = FoyerFactory(name="MARTIN", email="martin@exemple.test")
        QuotientFamilialFactory(foyer=martin, valid_from=SEPTEMBER)
    before = _counts(tenant_a, in_tenant)
    rows = [
        [*GOOD_ROWS[0], "900", "MSA", "01/01/2026", ""],
        [*GOOD_ROWS[2], "700", "Mutualité", "01/01/2026", ""],
    ]
    preview = _dry_run(agent_client, _csv(rows))
    assert "confirm_form" not in preview.context
    invalid = {row.number: row.error_dict for row in preview.context["result"].invalid_rows}
    assert invalid[1] == {QF_VALUE: [QUOTIENTS_OVERLAP]}
    assert invalid[2] == {QF_SOURCE: [UNKNOWN_SOURCE.format(value="Mutualité")]}
    assert escape(QUOTIENTS_OVERLAP) in preview.content.decode()
    assert _counts(tenant_a, in_tenant) == before
    with in_tenant(tenant_a):
        assert QuotientFamilial.objects.filter(foyer=martin).count() == 1
