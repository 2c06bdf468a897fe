"""One collectivité out and back: the copy holds the same rows, pages and files; the original
is untouched; a bad archive is refused with a clear message and leaves nothing behind."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import tarfile

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_exists, tenant_context

from families.models import QuotientFamilial, Responsable
from news.models import Post
from news.services import post_write
from requests_inbox.models import Attachment
from requests_inbox.services import thread_open
from reservations.models import Booking, BookingEvent, BookingState, Prestation, Service
from tenants.exceptions import TransferError
from tenants.models import Adhesion, Collectivite, Domain, Membership, Role
from tenants.transfer import MANIFEST, collectivite_export, collectivite_import, tenant_models
from tests.factories import MembershipFactory
from tests.requests_inbox.conftest import make_family
from tests.requests_inbox.files import image, minimal_pdf

COPY = "alpha-copie"
DEPARTED = "agent.parti@alpha.test"
PDF_NEWS = minimal_pdf("Menu de janvier")
PDF_REQUEST = minimal_pdf("Certificat")


@pytest.fixture
def roots(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def alpha(tenant_a, in_tenant, roots):
    """Alpha with a foyer, bookings, a post and a request with attachments, a logo, staff."""
    family = make_family(tenant_a, in_tenant, name="COPIE")
    staff = MembershipFactory(collectivite=tenant_a, role=Role.ADMINISTRATEUR).user
    departed = MembershipFactory(collectivite=tenant_a, user__email=DEPARTED).user
    tenant_a.logo = SimpleUploadedFile("alpha.png", image(), content_type="image/png")
    tenant_a.save()
    with in_tenant(tenant_a):
        Responsable.objects.create(
            foyer=family.foyer, civilite="MME", last_name="COPIE", first_name="Anne"
        )
        QuotientFamilial.objects.create(
            foyer=family.foyer,
            value=640,
            source="CAF",
            valid_from=datetime.date(2026, 1, 1),
            set_by=departed,
        )
        service = Service.objects.create(name="CANTINE ALPHA", billing_mode="postfacturation")
        cantine = Prestation.objects.create(
            service=service,
            name="CANTINE",
            weekdays=[1, 2, 4, 5],
            capacity=80,
            booking_rule="weekly",
            rule_weekday=2,
            rule_time=datetime.time(12),
        )
        for day in (12, 13, 15):
            booking = Booking.objects.create(
                child=family.child,
                prestation=cantine,
                day=datetime.date(2026, 2, day),
                state=BookingState.VALIDATED,
            )
            BookingEvent.objects.create(
                booking=booking, state=BookingState.VALIDATED, by_user=family.user
            )
        post = post_write(
            post=Post(
                title="Menus de janvier",
                body="Les **menus** du mois.",
                publish_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
                attachment=SimpleUploadedFile("menus.pdf", PDF_NEWS, "application/pdf"),
            )
        )
        thread = thread_open(
            foyer=family.foyer,
            category="autre",
            subject="Certificat médical",
            body="Voici le certificat de Lina.",
            user=family.user,
            attachment=SimpleUploadedFile("certificat.pdf", PDF_REQUEST, "application/pdf"),
        )
    connection.set_schema_to_public()
    return {"family": family, "staff": staff, "departed": departed, "post": post, "thread": thread}


def snapshot(collectivite) -> dict:
    """Every row of the schema, accounts by e-mail, content types by name, files unprefixed."""
    user_model = get_user_model()
    emails = dict(user_model.objects.values_list("pk", "email"))
    with tenant_context(collectivite):
        types = {ct.pk: (ct.app_label, ct.model) for ct in ContentType.objects.all()}
        rows = {}
        for model in tenant_models():
            table = []
            for obj in model._base_manager.order_by("pk"):
                row = {}
                for field in model._meta.concrete_fields:
                    value = getattr(obj, field.attname)
                    if field.related_model is user_model:
                        value = emails.get(value)
                    elif field.related_model is ContentType:
                        value = types.get(value)
                    elif isinstance(field, models.FileField) and value:
                        value = str(value).replace(f"{collectivite.schema_name}/", "<schema>/", 1)
                    elif field.name == "schema_name" and value == collectivite.schema_name:
                        value = "<schema>"
                    row[field.name] = value
                table.append(row)
            rows[model._meta.label_lower] = table
    return rows


def files(root, schema) -> dict:
    folder = root / schema
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def rewrite(source, target, change) -> None:
    """Copy an archive, letting ``change(members, manifest)`` edit it; checksums recomputed."""
    with tarfile.open(source, "r:gz") as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}
    manifest = json.loads(members.pop(MANIFEST))
    change(members, manifest)
    manifest["sha256"] = {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
    with tarfile.open(target, "w:gz") as archive:
        for name, data in [(MANIFEST, json.dumps(manifest).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def nothing_left(slug: str) -> None:
    connection.set_schema_to_public()
    assert not Collectivite.objects.filter(schema_name=slug).exists()
    assert not Domain.objects.filter(domain=f"{slug}.localhost").exists()
    assert not schema_exists(slug)


def test_a_collectivite_exported_and_imported_as_a_copy_is_identical(
    alpha, tenant_a, roots, tmp_path
):
    archive = tmp_path / "alpha.tar.gz"
    call_command("collectivite_export", "alpha", str(archive), stdout=io.StringIO())
    before = snapshot(tenant_a)
    private_before = files(roots / "private", "alpha")
    assert len(private_before) == 2
    # The agent left the platform after the export: the import recreates the account.
    Membership.objects.filter(user=alpha["departed"]).delete()
    alpha["departed"].delete()
    original = snapshot(tenant_a)

    # First, an archive that fails once its schema exists (a primary key twice): nothing stays.
    broken = tmp_path / "casse.tar.gz"

    def duplicate_a_foyer(members, manifest):
        foyers = members["tenant/families.foyer.jsonl"]
        members["tenant/families.foyer.jsonl"] = foyers + foyers.splitlines(keepends=True)[0]

    rewrite(archive, broken, duplicate_a_foyer)
    with pytest.raises(TransferError) as refused:
        collectivite_import(path=broken, slug=COPY)
    assert "rien n'a été importé" in refused.value.message
    assert "IntegrityError" in refused.value.message
    nothing_left(COPY)
    assert not get_user_model().objects.filter(email=DEPARTED).exists()
    assert not (roots / "private" / COPY).exists()

    out = io.StringIO()
    call_command("collectivite_import", str(archive), "--as", COPY, stdout=out)
    assert f"http://{COPY}.localhost" in out.getvalue()
    copy = Collectivite.objects.get(schema_name=COPY)
    assert copy.get_primary_domain().domain == f"{COPY}.localhost"
    assert copy.name == tenant_a.name
    assert copy.reglement == tenant_a.reglement

    # Every row of every model, with its primary key; accounts and content types linked.
    assert snapshot(copy) == before
    with tenant_context(copy), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # every foreign key holds
        # Sequences follow the loaded keys: a new row does not collide.
        Service.objects.create(name="NOUVEAU", billing_mode="prepaiement")
    # The original is untouched, rows and files.
    assert snapshot(tenant_a) == original
    assert files(roots / "private", "alpha") == private_before
    # The files, renamed under the new schema, byte for byte.
    assert files(roots / "private", COPY) == private_before
    assert copy.logo.name == f"logos/{COPY}/alpha.png"
    assert copy.logo.read() == tenant_a.logo.read()

    # Shared rows: staff with their roles, the family's adhesion, the departed agent's account
    # created again but inactive and without a password.
    roles = set(Membership.objects.filter(collectivite=copy).values_list("user__email", "role"))
    assert (alpha["staff"].email, Role.ADMINISTRATEUR) in roles
    assert (DEPARTED, Role.AGENT) in roles
    assert Adhesion.objects.filter(collectivite=copy, user=alpha["family"].user).exists()
    departed = get_user_model().objects.get(email=DEPARTED)
    assert not departed.is_active
    assert not departed.has_usable_password()

    # The copy's pages: its home with the news, the family's request and both attachments.
    client = Client(HTTP_HOST=f"{COPY}.localhost")
    home = client.get("/")
    assert home.status_code == 200
    assert "Menus de janvier" in home.content.decode()
    client.force_login(alpha["family"].user)
    assert "Certificat médical" in client.get("/demandes/").content.decode()
    with tenant_context(copy):
        attachment = Attachment.objects.get()
    response = client.get(f"/demandes/pieces-jointes/{attachment.pk}/")
    assert b"".join(response.streaming_content) == PDF_REQUEST
    news_url = reverse("news:attachment", args=[alpha["post"].pk], urlconf="portal.urls_tenants")
    response = client.get(news_url)
    assert b"".join(response.streaming_content) == PDF_NEWS

    # The same slug twice: refused, the copy untouched.
    with pytest.raises(CommandError, match="existe déjà"):
        call_command("collectivite_import", str(archive), "--as", COPY)


@pytest.fixture
def archive(tenant_a, roots, tmp_path):
    path = tmp_path / "alpha.tar.gz"
    collectivite_export(slug="alpha", path=path)
    return path


def test_the_manifest_names_versions_counts_and_checksums(archive, tenant_a):
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        assert names[0] == MANIFEST
        for name in names[1:]:
            data = tar.extractfile(name).read()
            assert manifest["sha256"][name] == hashlib.sha256(data).hexdigest()
    assert manifest["format"] == 1
    assert manifest["collectivite"] == "alpha"
    assert "0001_initial" in manifest["migrations"]["families"]
    assert manifest["counts"]["tenant/families.foyer.jsonl"] == 1  # conftest's FAMILLE PARENT
    assert manifest["counts"]["shared/adhesion.jsonl"] == 1


def test_password_hashes_travel_only_when_asked(archive, tenant_a, tmp_path):
    def users(path):
        with tarfile.open(path, "r:gz") as tar:
            return tar.extractfile("shared/user.jsonl").read().decode()

    assert "password" not in users(archive)
    assert "is_superuser" not in users(archive)
    with_hashes = tmp_path / "avec.tar.gz"
    collectivite_export(slug="alpha", path=with_hashes, with_passwords=True)
    assert '"password": "md5$' in users(with_hashes)


def refused(path, slug=COPY) -> str:
    collectivites, existed = Collectivite.objects.count(), schema_exists(slug)
    with pytest.raises(CommandError) as error:
        call_command("collectivite_import", str(path), f"--as={slug}")
    assert Collectivite.objects.count() == collectivites
    assert schema_exists(slug) == existed
    return str(error.value)


def test_a_truncated_archive_is_refused(archive, tmp_path):
    cut = tmp_path / "coupee.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert "illisible, tronquée ou modifiée" in refused(cut)


def test_a_modified_member_is_refused(archive, tmp_path):
    changed = tmp_path / "modifiee.tar.gz"
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar]
    with tarfile.open(changed, "w:gz") as tar:
        for member, data in members:
            if member.name == "tenant/families.child.jsonl":
                data = data.replace(b"Zo\\u00e9", b"Zoa").replace("Zoé".encode(), b"Zoa")
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    assert "somme de contrôle fausse pour tenant/families.child.jsonl" in refused(changed)


def test_an_archive_of_a_newer_version_is_refused(archive, tmp_path):
    newer = tmp_path / "future.tar.gz"
    rewrite(archive, newer, lambda members, m: m["migrations"]["families"].append("0099_futur"))
    message = refused(newer)
    assert "version plus récente" in message
    assert "families.0099_futur" in message


def test_an_unknown_format_is_refused(archive, tmp_path):
    other = tmp_path / "format.tar.gz"
    rewrite(archive, other, lambda members, manifest: manifest.update(format=2))
    assert "au format 2" in refused(other)


def test_an_existing_slug_domain_or_folder_is_refused(archive, roots, tenant_b):
    assert "« beta » existe déjà" in refused(archive, "beta")
    Domain.objects.create(domain="libre.localhost", tenant=tenant_b, is_primary=False)
    assert "domaine libre.localhost est déjà utilisé" in refused(archive, "libre")
    (roots / "private" / "neuve").mkdir(parents=True)
    (roots / "private" / "neuve" / "reste.pdf").write_bytes(b"%PDF")
    assert "Des fichiers existent déjà pour « neuve »" in refused(archive, "neuve")


@pytest.mark.parametrize("slug", ["Alpha", "alpha_copie", "-alpha", "alpha-", "a" * 64, "é"])
def test_an_invalid_slug_is_refused(archive, slug):
    assert "n'est pas un identifiant de collectivité valable" in refused(archive, slug)


def test_exporting_an_unknown_collectivite_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match=r"La collectivité « gamma » n'existe pas\."):
        call_command("collectivite_export", "gamma", str(tmp_path / "x.tar.gz"))
    assert not (tmp_path / "x.tar.gz").exists()
