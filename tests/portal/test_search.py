"""Search that forgives: « lefevre » finds « LEFÈVRE », « noe » finds « Noé », a phone is
found however it is typed, in every staff list and the child autocomplete."""

from __future__ import annotations

import datetime as dt
import json
import string
import unicodedata

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from news.models import Post
from portal.search import ACCENTED, looks_like_phone
from requests_inbox.models import Absence, Category, Message, Thread
from tenants.models import Role
from tests.factories import (
    BookingFactory,
    ChildFactory,
    FoyerFactory,
    MembershipFactory,
    PrestationFactory,
    ResponsableFactory,
    WaitingListEntryFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 12)


@pytest.fixture
def people(tenant_a, in_tenant):
    """LEFÈVRE Noé (a mother at +33 6 12 34 56 78), DURAND Léa and Théo, CŒUR Zoé."""
    with in_tenant(tenant_a):
        lefevre = FoyerFactory(name="LEFÈVRE", email="Famille.Lefevre@Exemple.test")
        ResponsableFactory(foyer=lefevre, last_name="LEFÈVRE", phone="+33 6 12 34 56 78")
        durand = FoyerFactory(name="DURAND", email="durand@exemple.test")
        ResponsableFactory(foyer=durand, last_name="DURAND", phone="05.63.50.51.18")
        cantine = PrestationFactory(cantine=True, name="CANTINE ÉLÉMENTAIRE")
        children = {
            "noe": ChildFactory(foyer=lefevre, last_name="LEFÈVRE", first_name="Noé"),
            "lea": ChildFactory(foyer=durand, last_name="DURAND", first_name="Léa"),
            "theo": ChildFactory(foyer=durand, last_name="DURAND", first_name="Théo"),
            "zoe": ChildFactory(last_name="CŒUR", first_name="Zoé"),
        }
        bookings = {
            name: BookingFactory(child=c, prestation=cantine, day=DAY)
            for name, c in children.items()
        }
        thread = Thread.objects.create(foyer=lefevre, category=Category.AUTRE, subject="Sortie")
        Message.objects.create(
            thread=thread, body="Noé prendra le car de 8 h pour la sortie à Albi."
        )
        absence_thread = Thread.objects.create(
            foyer=durand, category=Category.ABSENCES, subject="Absence"
        )
        Absence.objects.create(
            thread=absence_thread, child=children["theo"], start=DAY, end=DAY, motif="Fièvre"
        )
        WaitingListEntryFactory(child=children["lea"], prestation=cantine, day=DAY)
        Post.objects.create(title="Fête de l'école", body="Goûter offert à l'école élémentaire.")
    return {"children": children, "bookings": bookings, "thread": thread, "cantine": cantine}


@pytest.fixture
def agent_client(client_a, tenant_a):
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    return client_a


def found(client, url: str, term: str) -> set[str]:
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return {str(row) for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("lefevre", {"Noé LEFÈVRE"}),
        ("LEFÈVRE", {"Noé LEFÈVRE"}),
        ("noe", {"Noé LEFÈVRE"}),
        ("lea", {"Léa DURAND"}),
        ("theo durand", {"Théo DURAND"}),
        ("coeur", {"Zoé CŒUR"}),
        ("06 12 34 56 78", {"Noé LEFÈVRE"}),
        ("0612345678", {"Noé LEFÈVRE"}),
        ("+33 612 345 678", {"Noé LEFÈVRE"}),
        ("05 63 50 51 18", {"Léa DURAND", "Théo DURAND"}),
        ("FAMILLE.LEFEVRE@exemple.TEST", {"Noé LEFÈVRE"}),
        ("%", set()),
    ],
)
def test_children_are_found_without_accents_case_or_phone_format(
    term, expected, people, agent_client
):
    assert found(agent_client, "/admin/families/child/", term) == expected


def test_each_staff_list_forgives_accents(people, agent_client):
    lists = {
        "/admin/families/foyer/": ("lefevre", {"LEFÈVRE"}),
        "/admin/reservations/booking/": (
            "lefevre",
            {"Noé LEFÈVRE — CANTINE ÉLÉMENTAIRE 12/03/2026"},
        ),
        "/admin/reservations/waitinglistentry/": (
            "lea",
            {"Léa DURAND attend CANTINE ÉLÉMENTAIRE le 12/03/2026"},
        ),
        "/admin/reservations/prestation/": ("elementaire", {"CANTINE ÉLÉMENTAIRE"}),
        "/admin/requests_inbox/thread/": ("lefevre", {"Sortie"}),
        "/admin/requests_inbox/absence/": ("theo", {"Théo DURAND du 12/03/2026 au 12/03/2026"}),
        "/admin/news/post/": ("ecole", {"Fête de l'école"}),
    }
    for url, (term, expected) in lists.items():
        assert found(agent_client, url, term) == expected, url


def test_phones_prestations_and_message_text_are_searchable(people, agent_client):
    assert found(agent_client, "/admin/families/foyer/", "06.12.34.56.78") == {"LEFÈVRE"}
    bookings = found(agent_client, "/admin/reservations/booking/", "cantine elementaire")
    assert len(bookings) == 4
    assert found(agent_client, "/admin/requests_inbox/thread/", "albi") == {"Sortie"}


def test_the_child_autocomplete_forgives_accents(people, agent_client):
    response = agent_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "reservations",
            "model_name": "booking",
            "field_name": "child",
            "term": "noe lefevre",
        },
    )
    results = json.loads(response.content)["results"]
    assert [row["text"] for row in results] == ["Noé LEFÈVRE"]


def test_a_term_is_a_phone_only_when_typed_as_one():
    assert looks_like_phone("06 12 34 56 78") and looks_like_phone("+33 (0)6 12-34-56")
    assert not looks_like_phone("2026") and not looks_like_phone("lea 0612345678")


def _python_fold(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = text.replace("ø", "o").replace("Ø", "o")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=ACCENTED + "œŒæÆ" + string.ascii_letters + " -'", max_size=30))
def test_the_database_folds_every_accent_as_unicode_does(db, text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.ef_fold(%s)", [text])
        (folded,) = cursor.fetchone()
    assert folded == _python_fold(text)
