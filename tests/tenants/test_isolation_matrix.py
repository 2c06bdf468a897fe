"""Every URL of both URLconfs, requested by every outsider with real foreign ids.

The patterns are discovered (admindocs' walker over the resolvers), so a URL added later is
covered without editing this file. The victim is collectivité Alpha, whose rows carry marker
strings; the outsiders are a visitor, a parent of another foyer of Alpha, a parent of Beta,
and each staff role of Beta. Each answer must be a refusal or a page without any marker:
redirect to login, 400, 403, 404 or 405 — or a 200 that shows nothing of Alpha's rows —
and never a 5xx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from families.models import Child, Foyer, ImportJob, Responsable
from news.models import Post
from requests_inbox import services as requests_services
from requests_inbox.models import Attachment
from tenants.models import Role
from tenants.services import adhesion_add
from tests.conftest import PUBLIC_HOST, TEST_COLLECTIVITES
from tests.factories import FoyerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
MARK = "ZQSECRET"
ALLOWED = {200, 301, 302, 400, 403, 404, 405}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OUTSIDERS = [
    "anonymous",
    "parent_other_foyer",
    "parent_other_collectivite",
    *(f"staff_beta_{role.value}" for role in Role),
]


def discover(urlconf: str) -> list[tuple[str, str, str]]:
    """Return (path with <params>, namespace, name) for every pattern of ``urlconf``."""
    found = set()
    for _view, regex, namespace, name in extract_views_from_urlpatterns(
        get_resolver(urlconf).url_patterns
    ):
        if isinstance(namespace, list | tuple):
            namespace = ":".join(part for part in namespace if part)
        found.add((simplify_regex(regex), namespace or "", name or ""))
    return sorted(found)


TENANT_PATTERNS = discover("portal.urls_tenants")
PUBLIC_PATTERNS = discover("portal.urls_public")


@dataclass
class Secrets:
    ids: dict[str, int]
    user_pk: int


@pytest.fixture
def secrets(tenant_a, in_tenant, settings, tmp_path) -> Secrets:
    """Alpha's rows an outsider must never see, each named with MARK."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    owner = UserFactory(first_name=f"{MARK}PRENOM", email="zqsecret@exemple.test")
    adhesion_add(user=owner, collectivite=tenant_a)
    with in_tenant(tenant_a):
        foyer = Foyer.objects.create(name=f"{MARK}FOYER", user=owner, email=owner.email)
        responsable = Responsable.objects.create(
            foyer=foyer, rank=1, civilite="MME", last_name=f"{MARK}NOM", first_name="R"
        )
        child = Child.objects.create(
            foyer=foyer,
            last_name=f"{MARK}NOM",
            first_name=f"{MARK}ENFANT",
            birth_date="2017-01-01",
            sexe="F",
            allergies=f"{MARK}ALLERGIE",
        )
        thread = requests_services.thread_open(
            foyer=foyer,
            category="autre",
            subject=f"{MARK}OBJET",
            body=f"{MARK}MESSAGE",
            user=owner,
            attachment=SimpleUploadedFile(f"{MARK}.pdf", PDF, content_type="application/pdf"),
        )
        attachment = Attachment.objects.get(message__thread=thread)
        post = Post.objects.create(title=f"{MARK}BROUILLON", body=f"{MARK}CORPS")  # a draft
        job = ImportJob.objects.create(file_name=f"{MARK}.csv", storage_name="x", format_index=0)
        ids = {
            "families.foyer": foyer.pk,
            "families.child": child.pk,
            "families.responsable": responsable.pk,
            "requests_inbox.thread": thread.pk,
            "requests_inbox.message": thread.messages.get().pk,
            "requests_inbox.attachment": attachment.pk,
            "news.post": post.pk,
            "families.importjob": job.pk,
        }
    return Secrets(ids=ids, user_pk=owner.pk)


# Non-admin views whose id names one model.
VIEW_MODELS = {
    ("families", "child_edit"): "families.child",
    ("requests_inbox", "detail"): "requests_inbox.thread",
    ("requests_inbox", "attachment"): "requests_inbox.attachment",
    ("news", "detail"): "news.post",
    ("news", "attachment"): "news.post",
}


def fill(path: str, namespace: str, name: str, secrets: Secrets) -> str:
    admin_model = re.match(r"(\w+?)_(\w+?)_(\w+)$", name) if namespace == "admin" else None
    model = VIEW_MODELS.get((namespace, name))
    if admin_model:
        model = f"{admin_model[1]}.{admin_model[2]}"
    object_id = secrets.ids.get(model or "", secrets.ids["families.foyer"])
    values = {
        "pk": object_id,
        "object_id": object_id,
        "id": object_id,
        "job_id": secrets.ids["families.importjob"],
        "app_label": "families",
        "content_type_id": ContentType.objects.get_for_model(Foyer).pk,
        "uidb64": urlsafe_base64_encode(force_bytes(secrets.user_pk)),
        "token": "set-password",
        "url": "families/foyer/",
        "path": "logos/x.png",
    }

    def substitute(match: re.Match) -> str:
        return str(values.get(match[1], object_id))

    return re.sub(r"<(?:\w+:)?(\w+)>", substitute, path)


def outsider_client(kind: str, host: str, tenant_a, tenant_b, in_tenant) -> Client:
    client = Client(HTTP_HOST=host)
    if kind == "anonymous":
        return client
    user = UserFactory()
    if kind == "parent_other_foyer":
        adhesion_add(user=user, collectivite=tenant_a)
        with in_tenant(tenant_a):
            FoyerFactory(user=user, name="VOISIN")
    elif kind == "parent_other_collectivite":
        adhesion_add(user=user, collectivite=tenant_b)
        with in_tenant(tenant_b):
            FoyerFactory(user=user, name="BETA")
    else:
        MembershipFactory(user=user, collectivite=tenant_b, role=kind.rsplit("_", 1)[1])
    client.force_login(user)
    return client


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_no_outsider_reaches_alphas_rows_through_any_url(
    kind, secrets, tenant_a, tenant_b, in_tenant
):
    checked = 0
    leaks, errors = [], []
    for host, patterns in (
        (TEST_COLLECTIVITES["alpha"]["domain"], TENANT_PATTERNS),
        (PUBLIC_HOST, PUBLIC_PATTERNS),
    ):
        client = outsider_client(kind, host, tenant_a, tenant_b, in_tenant)
        for path, namespace, name in patterns:
            if name == "logout" or "/logout/" in path:
                continue  # would end this client's session for the rest of the run
            url = fill(path, namespace, name, secrets)
            response = client.get(url)
            checked += 1
            if response.status_code not in ALLOWED:
                errors.append((url, response.status_code))
                continue
            body = b"".join(response) if response.streaming else response.content
            if MARK.encode() in body:
                leaks.append((url, response.status_code))
    assert errors == []
    assert leaks == []
    assert checked == len(TENANT_PATTERNS) + len(PUBLIC_PATTERNS) - sum(
        1
        for patterns in (TENANT_PATTERNS, PUBLIC_PATTERNS)
        for p, _, n in patterns
        if n == "logout" or "/logout/" in p
    )


def test_the_matrix_covers_the_apps_urls():
    paths = {path for path, _, _ in TENANT_PATTERNS}
    for expected in (
        "/mon-compte/enfants/<int:pk>/",
        "/demandes/<int:pk>/",
        "/admin/families/foyer/<path:object_id>/change/",
    ):
        assert expected in paths
    assert len(TENANT_PATTERNS) > 100 and len(PUBLIC_PATTERNS) > 40


def test_the_ids_are_real_the_owner_and_alphas_staff_do_see_the_rows(secrets, tenant_a, in_tenant):
    """The control: the same URLs show the markers to those entitled to them."""
    from django.contrib.auth import get_user_model

    host = TEST_COLLECTIVITES["alpha"]["domain"]
    owner = Client(HTTP_HOST=host)
    owner.force_login(get_user_model().objects.get(pk=secrets.user_pk))
    staff = Client(HTTP_HOST=host)
    staff.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    seen = {
        path: MARK
        in (owner if client == "owner" else staff)
        .get(fill(path, namespace, name, secrets))
        .content.decode()
        for path, namespace, name, client in [
            ("/demandes/<int:pk>/", "requests_inbox", "detail", "owner"),
            (
                "/admin/families/foyer/<path:object_id>/change/",
                "admin",
                "families_foyer_change",
                "staff",
            ),
            (
                "/admin/families/child/<path:object_id>/change/",
                "admin",
                "families_child_change",
                "staff",
            ),
            ("/admin/news/post/<path:object_id>/change/", "admin", "news_post_change", "staff"),
        ]
    }
    assert all(seen.values()), seen
