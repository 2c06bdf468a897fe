"""Private files on S3-compatible object storage, against moto's S3 server on loopback.

The server runs in this process on a free port of 127.0.0.1 (never the network); the
settings point STORAGES["private"] at it as production would with AWS_STORAGE_BUCKET_NAME.
Every model field goes through portal.storage.PrivateStorage, so the same views and services
write and read the bucket, and nothing lands on the local disk.
"""

from __future__ import annotations

import datetime as dt
import runpy
from pathlib import Path

import boto3
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse

from billing.models import Invoice
from billing.services.runs import invoice_run_start
from families.services_privacy import foyer_anonymise
from portal import settings as settings_module
from portal.storage import private_storage
from requests_inbox import services
from requests_inbox.models import Attachment, Category, Thread
from reservations.models import Service
from tenants.exceptions import TransferError
from tenants.models import Role
from tenants.transfer import collectivite_export, collectivite_import
from tests.billing.conftest import NOV, month, site  # noqa: F401 (fixtures)
from tests.factories import MembershipFactory
from tests.requests_inbox.conftest import make_family, pdf_upload
from tests.requests_inbox.files import minimal_pdf

BUCKET = "espace-famille-test"
CREDENTIALS = {"aws_access_key_id": "moto", "aws_secret_access_key": "moto-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """Start moto's S3 server on a free loopback port for this module; yield its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """An empty private bucket, configured as the private storage; yield a boto3 client."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-west-3", **CREDENTIALS)
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # must stay empty
    storages = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "portal.storage_s3.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "eu-west-3",
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "location": "private",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    with override_settings(STORAGES=storages):
        yield client
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.mark.django_db
def test_a_familys_attachment_goes_to_the_bucket_and_back_through_the_view(
    bucket, settings, tenant_a, in_tenant, client_a
):
    family = make_family(tenant_a, in_tenant)
    client_a.force_login(family.user)
    response = client_a.post(
        reverse("requests_inbox:new"),
        {
            "category": Category.FACTURATION,
            "subject": "Facture",
            "body": "Bonjour",
            "attachment": pdf_upload("Facture janvier.pdf"),
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        attachment = Attachment.objects.get(message__thread__foyer=family.foyer)
    # Under the bucket's prefix, then the collectivité's schema, as on disk.
    assert keys(bucket) == [f"private/{attachment.file.name}"]
    assert attachment.file.name.startswith("alpha/")
    acl = bucket.get_object_acl(Bucket=BUCKET, Key=f"private/{attachment.file.name}")
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]  # owner only
    download = client_a.get(reverse("requests_inbox:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == minimal_pdf()
    assert not settings.PRIVATE_MEDIA_ROOT.exists()


@pytest.mark.django_db
def test_two_files_of_one_name_are_both_kept(bucket):
    storage = private_storage()
    first = storage.save("alpha/justificatifs/certificat.pdf", ContentFile(b"premier"))
    second = storage.save("alpha/justificatifs/certificat.pdf", ContentFile(b"second"))
    assert first != second
    with storage.open(first) as one, storage.open(second) as two:
        assert (one.read(), two.read()) == (b"premier", b"second")
    assert storage.exists(first) and storage.size(second) == len(b"second")


@pytest.mark.django_db
def test_private_files_have_no_public_url_in_the_bucket_either(bucket):
    storage = private_storage()
    name = storage.save("alpha/x.pdf", ContentFile(b"x"))
    with pytest.raises(ValueError, match="no public URL"):
        storage.url(name)
    with pytest.raises(ValueError, match="no public URL"):
        storage.backend.url(name)


@pytest.mark.django_db
def test_anonymising_a_foyer_removes_its_files_from_the_bucket(
    bucket, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    family = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        services.thread_open(
            foyer=family.foyer,
            category=Category.AUTRE,
            subject="Question",
            body="Bonjour",
            attachment=pdf_upload(),
            user=family.user,
        )
        assert len(keys(bucket)) == 1
        with django_capture_on_commit_callbacks(execute=True):
            foyer_anonymise(foyer=family.foyer)
        assert not Thread.objects.filter(foyer=family.foyer).exists()
    assert keys(bucket) == []


@pytest.mark.django_db
def test_readiness_writes_its_probe_to_the_bucket_and_fails_without_it(bucket, client):
    ready = client.get("/sante/pret/")
    assert ready.json()["verifications"]["stockage"] == "ok"
    assert keys(bucket) == []  # the probe was removed
    bucket.delete_bucket(Bucket=BUCKET)
    try:
        down = client.get("/sante/pret/")
        assert down.status_code == 503
        # (Redis may be named too, on a machine where REDIS_URL points at nothing.)
        assert "stockage" in down.json()["echecs"]
        assert down.json()["verifications"]["stockage"] != "ok"
    finally:
        bucket.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
        )


@pytest.mark.parametrize(
    ("bucket_name", "backend"),
    [("", "portal.storage.LocalPrivateStorage"), ("b", "portal.storage_s3.PrivateS3Storage")],
)
def test_the_setting_selects_the_bucket_only_when_a_bucket_is_named(
    monkeypatch, bucket_name, backend
):
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", bucket_name)
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")  # never reached
    values = runpy.run_path(str(Path(settings_module.__file__)))
    assert values["STORAGES"]["private"]["BACKEND"] == backend
    if bucket_name:
        options = values["STORAGES"]["private"]["OPTIONS"]
        assert (options["bucket_name"], options["endpoint_url"]) == ("b", "http://127.0.0.1:9")
        assert (options["default_acl"], options["file_overwrite"]) == ("private", False)


@pytest.mark.usefixtures("month")  # tests.billing.conftest: November 2026, two foyers
def test_an_invoice_runs_pdfs_are_written_to_the_bucket_and_served_from_it(
    bucket, tenant_a, in_tenant, client_a, django_capture_on_commit_callbacks, settings
):
    with in_tenant(tenant_a), time_machine.travel(dt.datetime(2026, 12, 1, 9), tick=False):
        service = Service.objects.get(name="GROUPE SCOLAIRE")
        with django_capture_on_commit_callbacks(execute=True):
            invoice_run_start(service=service, start=NOV[0], end=NOV[1], user=None)
        invoices = list(Invoice.objects.order_by("pk"))
    assert len(invoices) == 2
    assert keys(bucket) == sorted(f"private/{invoice.pdf.name}" for invoice in invoices)
    client_a.force_login(MembershipFactory(collectivite=tenant_a, role=Role.AGENT).user)
    response = client_a.get(reverse("billing:staff_pdf", args=[invoices[0].pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert not settings.PRIVATE_MEDIA_ROOT.exists()  # nothing on this machine's disk


def test_a_collectivite_moves_with_its_files_in_the_bucket(
    bucket, tenant_a, in_tenant, tmp_path, settings
):
    family = make_family(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        services.thread_open(
            foyer=family.foyer,
            category=Category.AUTRE,
            subject="Question",
            body="Bonjour",
            attachment=pdf_upload(content=minimal_pdf("Justificatif")),
            user=family.user,
        )
        name = Attachment.objects.get().file.name
    archive = tmp_path / "alpha.tar.gz"
    manifest = collectivite_export(slug="alpha", path=archive)
    member = f"files/private/{name.removeprefix('alpha/')}"
    assert member in manifest["sha256"]
    # The bucket already holds files under the new name: refused, nothing written.
    private_storage().save("alphabis/reste.pdf", ContentFile(b"%PDF"))
    with pytest.raises(TransferError, match="Des fichiers existent déjà"):
        collectivite_import(path=archive, slug="alphabis")
    private_storage().delete("alphabis/reste.pdf")
    report = collectivite_import(path=archive, slug="alphabis")
    copied = f"alphabis/{name.removeprefix('alpha/')}"
    assert f"private/{copied}" in keys(bucket)
    with in_tenant(report.collectivite):
        attachment = Attachment.objects.get()
        assert attachment.file.name == copied
        assert attachment.file.read() == minimal_pdf("Justificatif")
    assert not settings.PRIVATE_MEDIA_ROOT.exists()
