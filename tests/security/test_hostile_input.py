"""Hypothesis drives the forms and query parameters with hostile text: no 5xx, no partial write.

Each example is one request in the test's transaction; when the answer refuses the input,
the rows it would have touched are unchanged. Examples are few per form (EXAMPLES) so that
the suite stays fast; the figures are in docs/security.md.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from families.models import Foyer, Responsable
from requests_inbox.models import Thread
from tenants.models import Adhesion, Role
from tests.factories import MembershipFactory
from tests.families.test_account import contacts_post, make_family

pytestmark = pytest.mark.django_db
EXAMPLES = 25
FIXTURES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SPECIAL = st.sampled_from(
    [
        "",
        "\x00",
        "a\x00b",
        "\u202eexe.fdp",
        '=HYPERLINK("http://x")',
        "x" * 100_000,
        "0001-01-01",
        "9999-12-31",
        "-1",
        "99999999999999999999",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\ud7ff\ue000\U0010ffff",
        "Ｅｃｏｌｅ",
    ]
)
HOSTILE = st.one_of(SPECIAL, st.text(max_size=300))
OK_STATUSES = {200, 302, 400, 403, 404, 405, 429}


def _fresh_limits():
    # Rate limits and throttles count in the cache: each example starts from zero.
    cache.clear()


@FIXTURES
@given(
    household=HOSTILE,
    email=HOSTILE,
    last_name=HOSTILE,
    first_name=HOSTILE,
    phone=HOSTILE,
    civilite=HOSTILE,
    password=HOSTILE,
)
def test_signup(public_client, household, email, last_name, first_name, phone, civilite, password):
    _fresh_limits()
    users = get_user_model().objects.count()
    response = public_client.post(
        "/inscription/",
        {
            "household_name": household,
            "email": email,
            "civilite": civilite,
            "last_name": last_name,
            "first_name": first_name,
            "phone": phone,
            "notification": "email",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code in OK_STATUSES
    if response.status_code != 302:
        assert get_user_model().objects.count() == users


@FIXTURES
@given(code=HOSTILE)
def test_code_d_adhesion(client_a, tenant_a, code):
    _fresh_limits()
    user = get_user_model().objects.filter(email="code@exemple.test").first()
    if user is None:
        user = get_user_model().objects.create_user(email="code@exemple.test", password="x")
    client_a.force_login(user)
    response = client_a.post("/abonnements/", {"code": code})
    assert response.status_code in OK_STATUSES
    assert not Adhesion.objects.filter(user=user).exists()


@pytest.fixture
def family(tenant_a, in_tenant, client_a):
    result = make_family(tenant_a, in_tenant)
    client_a.force_login(result.user)
    return result


@FIXTURES
@given(address=HOSTILE, phone=HOSTILE, email=HOSTILE, notification=HOSTILE)
def test_profile(family, client_a, tenant_a, in_tenant, address, phone, email, notification):
    with in_tenant(tenant_a):
        before = Responsable.objects.filter(pk=family.responsable.pk).values().get()
    response = client_a.post(
        "/mon-compte/",
        contacts_post(
            family.responsable,
            address=address,
            phone=phone,
            email=email,
            notification=notification,
        ),
    )
    assert response.status_code in OK_STATUSES
    if response.status_code != 302:
        with in_tenant(tenant_a):
            assert Responsable.objects.filter(pk=family.responsable.pk).values().get() == before


@FIXTURES
@given(
    category=HOSTILE, subject=HOSTILE, body=HOSTILE, filename=HOSTILE, data=st.binary(max_size=512)
)
def test_new_request(
    family, client_a, tenant_a, in_tenant, category, subject, body, filename, data
):
    _fresh_limits()
    with in_tenant(tenant_a):
        threads = Thread.objects.count()
    post = {"category": category, "subject": subject, "body": body}
    if filename:
        post["attachment"] = SimpleUploadedFile(filename[:100] or "f", data)
    response = client_a.post("/demandes/nouvelle/", post)
    assert response.status_code in OK_STATUSES
    if response.status_code != 302:
        with in_tenant(tenant_a):
            assert Thread.objects.count() == threads


@settings(FIXTURES, max_examples=12)
@given(
    # A search term is cut to 5 000 characters: each admin search ILIKEs it over six
    # columns, and 100 000 characters (tried on the other forms) only cost time here.
    q=HOSTILE.map(lambda text: text[:5000]),
    school=HOSTILE,
    year=HOSTILE,
    order=HOSTILE,
    page=HOSTILE,
)
def test_admin_filters(tenant_a, client_a, q, school, year, order, page):
    user = get_user_model().objects.filter(email="agent.filtres@exemple.test").first()
    if user is None:
        user = MembershipFactory(
            collectivite=tenant_a, role=Role.AGENT, user__email="agent.filtres@exemple.test"
        ).user
    client_a.force_login(user)
    for path in (
        "/admin/families/child/",
        "/admin/families/foyer/",
        "/admin/requests_inbox/thread/",
    ):
        response = client_a.get(
            path, {"q": q, "school": school, "birth_date__year": year, "o": order, "p": page}
        )
        assert response.status_code in OK_STATUSES, (path, response.status_code)
    response = client_a.get(
        "/admin/autocomplete/",
        {"term": q, "app_label": "families", "model_name": "child", "field_name": "foyer"},
    )
    assert response.status_code in OK_STATUSES


@FIXTURES
@given(
    content=st.one_of(
        st.binary(max_size=2048), HOSTILE.map(lambda t: t.encode("utf-8", "surrogatepass"))
    ),
    format=st.sampled_from(["0", "1", "7", "x"]),
)
def test_import_dry_run(tenant_a, client_a, in_tenant, content, format):
    user = get_user_model().objects.filter(email="agent.import@exemple.test").first()
    if user is None:
        user = MembershipFactory(
            collectivite=tenant_a, role=Role.AGENT, user__email="agent.import@exemple.test"
        ).user
    client_a.force_login(user)
    with in_tenant(tenant_a):
        foyers = Foyer.objects.count()
    upload = SimpleUploadedFile("familles.csv", content)
    response = client_a.post(
        "/admin/families/foyer/import/", {"import_file": upload, "format": format, "resource": "0"}
    )
    assert response.status_code in OK_STATUSES
    with in_tenant(tenant_a):
        assert Foyer.objects.count() == foyers  # a dry run writes nothing


@pytest.fixture
def wizard(tenant_a, in_tenant, client_a, django_capture_on_commit_callbacks):
    """An activation wizard started from a real link, at its first step."""
    from tests.factories import ChildFactory, FoyerFactory, ResponsableFactory
    from tests.families import test_onboarding as onboarding

    with in_tenant(tenant_a):
        foyer = FoyerFactory(name="HOSTILE", email="hostile@exemple.test")
        ResponsableFactory(foyer=foyer)
        ChildFactory(foyer=foyer)
    client_a.get(
        onboarding._activation_path(tenant_a, in_tenant, foyer, django_capture_on_commit_callbacks)
    )
    return foyer


@FIXTURES
@given(
    household=HOSTILE,
    password=HOSTILE,
    total=HOSTILE,
    last_name=HOSTILE,
    civilite=HOSTILE,
    birth=HOSTILE,
)
def test_activation_wizard(
    wizard, client_a, household, password, total, last_name, civilite, birth
):
    wizard_step = "activation_wizard-current_step"
    users = get_user_model().objects.count()
    posts = [
        {
            wizard_step: "compte",
            "compte-household_name": household,
            "compte-password1": password,
            "compte-password2": password,
        },
        {
            wizard_step: "responsables",
            "responsables-TOTAL_FORMS": total,
            "responsables-INITIAL_FORMS": "1",
            "responsables-0-civilite": civilite,
            "responsables-0-last_name": last_name,
            "responsables-0-first_name": "A",
            "responsables-0-notification": "email",
        },
        {
            wizard_step: "enfants",
            "enfants-TOTAL_FORMS": total,
            "enfants-INITIAL_FORMS": "1",
            "enfants-0-id": "1",
            "enfants-0-last_name": last_name,
            "enfants-0-first_name": "B",
            "enfants-0-birth_date": birth,
        },
    ]
    for post in posts:
        response = client_a.post("/creer-compte/", post)
        assert response.status_code in OK_STATUSES
    if get_user_model().objects.count() != users:
        # Only a complete, valid wizard creates the account, bound to the mairie's address.
        assert get_user_model().objects.filter(email="hostile@exemple.test").exists()
