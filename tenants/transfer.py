"""One collectivité out of the platform and back in, as one archive.

``collectivite_export`` writes a tar.gz holding:

- ``manifest.json``: the format version, the migration state of every app, the row count of
  each member and the sha256 of every other member;
- ``tenant/<app>.<model>.jsonl``: every row of every model of the collectivité's schema,
  found through the tenant apps' model lists (a column added by a later migration travels
  without a change here), serialized by Django;
- ``tenant/contenttypes.json`` and ``shared/contenttypes.json``: content type ids of both
  schemas by app and model, since a new schema numbers them its own way;
- ``shared/``: the collectivité's own row, its domains, staff memberships, adhesions,
  adhesion codes, the audit entries about it, and the accounts that all these reference
  (password hashes only when asked);
- ``files/private/``, ``files/media/``, ``files/logo/``: its private files, its public files
  and its logo.

``collectivite_import`` checks the whole archive first (checksums, format, migrations,
free slug, domain and folders), then creates the collectivité (its schema migrated), loads
the rows with their primary keys (inserts only: history tables refuse updates), resets the
sequences, links accounts by e-mail, and copies the files. Any failure after the schema was
created drops it with the shared rows and the copied files: nothing is half-restored.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from auditlog.context import disable_auditlog
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.storage import FileSystemStorage
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_tenants.utils import schema_exists, tenant_context

from portal.audit.models import AuditEntry
from portal.storage import platform_storage, private_storage
from tenants.exceptions import TransferError
from tenants.models import Adhesion, AdhesionCode, Collectivite, Domain, Membership

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SLUG_RE = re.compile(r"^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MEMBER_RE = re.compile(r"^(?:[A-Za-z0-9._-]+/)*[A-Za-z0-9._-][A-Za-z0-9._ ()-]*$")
CHUNK = 1024 * 1024
# Account fields that never travel: rights on the platform are not a collectivité's data.
USER_FIELDS_KEPT_OUT = {"id", "password", "last_login", "is_superuser", "is_staff"}
# The collectivité's own row: what makes it this collectivité, not where it is stored.
COLLECTIVITE_FIELDS_KEPT_OUT = {"id", "schema_name", "logo", "created_on"}


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder without its rounding of times to the millisecond: a copy is exact."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


# Which rows belong to the collectivité


def tenant_models() -> list[type[models.Model]]:
    """Return every model stored in a collectivité's schema, from the tenant apps' lists."""
    tenant_apps = set(settings.TENANT_APPS)
    found = []
    for config in apps.get_app_configs():
        if config.name not in tenant_apps:
            continue
        for model in config.get_models():
            meta = model._meta
            if meta.managed and not meta.proxy and model is not ContentType:
                found.append(model)
    return found


def _user_fks(model) -> list[models.ForeignKey]:
    user_model = get_user_model()
    return [
        f for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model
    ]


def _contenttype_fks(model) -> list[models.ForeignKey]:
    return [
        f for f in model._meta.concrete_fields if f.is_relation and f.related_model is ContentType
    ]


def _tenant_fks(model) -> list[models.ForeignKey]:
    return [
        f for f in model._meta.concrete_fields if f.is_relation and f.related_model is Collectivite
    ]


def _file_fields(model) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _member_name(model) -> str:
    return f"tenant/{model._meta.label_lower}.jsonl"


def _contenttypes() -> dict[str, list[str]]:
    return {
        str(pk): [app, name]
        for pk, app, name in ContentType.objects.values_list("pk", "app_label", "model")
    }


def _migrations() -> set[tuple[str, str]]:
    return set(MigrationRecorder(connection).applied_migrations())


# Export


@dataclass
class _ArchiveWriter:
    """Members written to a staging folder, hashed, then packed after the manifest."""

    root: Path
    sha256: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)

    def add_bytes(self, name: str, data: bytes, count: int | None = None) -> None:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.add_file(name, target, count)

    def add_rows(self, name: str, model, queryset, fields=None) -> None:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as stream:
            serializers.serialize(
                "jsonl",
                queryset.iterator(chunk_size=2000),
                stream=stream,
                fields=fields,
                cls=ExactJSONEncoder,
            )
        self.add_file(name, target, _count_lines(target))

    def add_file(self, name: str, source: Path, count: int | None = None) -> None:
        if not MEMBER_RE.match(name) or ".." in PurePosixPath(name).parts:
            raise TransferError(TransferError.UNREADABLE, name=name, detail="nom de fichier refusé")
        self.sha256[name] = _sha256(source)
        self.sources[name] = source
        if count is not None:
            self.counts[name] = count

    def add_stored(self, prefix: str, storage, folder: str) -> None:
        """Add every file under ``folder`` of a storage that is not on this disk (a bucket),
        downloaded to the staging folder first."""
        for name in _stored_names(storage, folder):
            member = f"{prefix}/{name.removeprefix(folder + '/')}"
            target = self.root / member
            target.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
            self.add_file(member, target)

    def add_tree(self, prefix: str, folder: Path) -> None:
        if not folder.is_dir():
            return
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            self.add_file(f"{prefix}/{path.relative_to(folder).as_posix()}", path)

    def pack(self, manifest: dict, path: Path) -> None:
        data = json.dumps(manifest, ensure_ascii=False, indent=1, cls=DjangoJSONEncoder).encode()
        with tarfile.open(path, "w:gz") as archive:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            for name, source in self.sources.items():
                archive.add(source, arcname=name, recursive=False)


def _count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for _ in stream)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def collectivite_export(*, slug: str, path: Path, with_passwords: bool = False) -> dict:
    """Write collectivité ``slug`` to the archive ``path``; return its manifest.

    The rows are read in one REPEATABLE READ transaction, so they agree with each other
    even while families keep booking. The archive is written next to ``path`` and renamed
    at the end: a failed export leaves no half-written file.
    """
    collectivite = Collectivite.objects.collectivites().filter(schema_name=slug).first()
    if collectivite is None:
        raise TransferError(TransferError.NOT_FOUND, slug=slug)
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="ef-export-") as staging:
        writer = _ArchiveWriter(Path(staging))
        called_in_a_transaction = connection.in_atomic_block
        with transaction.atomic():
            if not called_in_a_transaction:  # a caller's transaction keeps its own snapshot
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            user_ids: set[int] = set()
            with tenant_context(collectivite):
                for model in tenant_models():
                    writer.add_rows(_member_name(model), model, model._base_manager.order_by("pk"))
                    for fk in _user_fks(model):
                        user_ids.update(
                            model._base_manager.exclude(**{fk.attname: None})
                            .values_list(fk.attname, flat=True)
                            .distinct()
                        )
                writer.add_bytes("tenant/contenttypes.json", json.dumps(_contenttypes()).encode())
                applied = _migrations()
            connection.set_schema_to_public()
            applied |= _migrations()
            _export_shared(writer, collectivite, user_ids, with_passwords)
        private = _private_backend()
        if isinstance(private, FileSystemStorage):
            writer.add_tree("files/private", Path(settings.PRIVATE_MEDIA_ROOT) / slug)
        else:
            writer.add_stored("files/private", private, slug)
        writer.add_tree("files/media", Path(settings.MEDIA_ROOT) / slug)
        if collectivite.logo:
            logo = Path(platform_storage().path(collectivite.logo.name))
            if logo.is_file():
                writer.add_file(f"files/logo/{logo.name}", logo)
        by_app: dict[str, list[str]] = {}
        for app_label, name in sorted(applied):
            by_app.setdefault(app_label, []).append(name)
        manifest = {
            "format": FORMAT_VERSION,
            "collectivite": slug,
            "name": collectivite.name,
            "exported_at": timezone.now(),
            "with_passwords": with_passwords,
            "domains": list(collectivite.domains.values_list("domain", flat=True)),
            "migrations": by_app,
            "counts": writer.counts,
            "sha256": writer.sha256,
        }
        partial = path.with_name(f".{path.name}.partiel")
        try:
            writer.pack(manifest, partial)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _export_shared(writer: _ArchiveWriter, collectivite, user_ids: set[int], with_passwords):
    own = {"collectivite": collectivite}
    writer.add_rows(
        "shared/collectivite.jsonl",
        Collectivite,
        Collectivite.objects.filter(pk=collectivite.pk),
        fields=[
            f.name
            for f in Collectivite._meta.concrete_fields
            if f.name not in COLLECTIVITE_FIELDS_KEPT_OUT
        ],
    )
    for name, model in (
        ("shared/membership.jsonl", Membership),
        ("shared/adhesion.jsonl", Adhesion),
        ("shared/adhesioncode.jsonl", AdhesionCode),
    ):
        queryset = model.objects.filter(**own).order_by("pk")
        writer.add_rows(name, model, queryset)
        for fk in _user_fks(model):
            user_ids.update(
                queryset.exclude(**{fk.attname: None}).values_list(fk.attname, flat=True)
            )
    entries = AuditEntry.objects.filter(schema_name=collectivite.schema_name).order_by("pk")
    writer.add_rows("shared/auditentry.jsonl", AuditEntry, entries)
    user_ids.update(entries.exclude(actor_id=None).values_list("actor_id", flat=True))
    writer.add_bytes("shared/contenttypes.json", json.dumps(_contenttypes()).encode())
    user_model = get_user_model()
    kept_out = USER_FIELDS_KEPT_OUT - ({"password"} if with_passwords else set())
    writer.add_rows(
        "shared/user.jsonl",
        user_model,
        user_model.objects.filter(pk__in=user_ids).order_by("pk"),
        fields=[f.name for f in user_model._meta.concrete_fields if f.name not in kept_out],
    )


# Import


@dataclass
class ImportReport:
    collectivite: Collectivite
    domain: str
    rows: int
    files: int
    accounts_linked: int
    accounts_created: int
    codes_skipped: int


def _verified_archive(path: Path, staging: Path) -> dict:
    """Unpack ``path`` into ``staging``, checking every member against the manifest."""
    name = Path(path).name

    def unreadable(detail: str) -> TransferError:
        return TransferError(TransferError.UNREADABLE, name=name, detail=detail)

    seen: dict[str, str] = {}
    manifest = None
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                if not member.isfile():
                    raise unreadable(f"élément {member.name!r} qui n'est pas un fichier")
                parts = PurePosixPath(member.name).parts
                if not MEMBER_RE.match(member.name) or ".." in parts:
                    raise unreadable(f"nom {member.name!r} refusé")
                source = archive.extractfile(member)
                if member.name == MANIFEST:
                    manifest = json.loads(source.read().decode("utf-8"))
                    continue
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                seen[member.name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, OSError, ValueError, UnicodeDecodeError) as error:
        raise unreadable(type(error).__name__) from error
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sha256"), dict):
        raise unreadable("manifeste absent")
    if manifest.get("format") != FORMAT_VERSION:
        raise TransferError(TransferError.FORMAT, name=name, version=manifest.get("format"))
    expected = manifest["sha256"]
    missing = sorted(set(expected) - set(seen))
    if missing:
        raise unreadable(f"{len(missing)} fichier(s) manquant(s), dont {missing[0]}")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise unreadable(f"fichier {extra[0]} absent du manifeste")
    wrong = sorted(n for n, digest in seen.items() if expected[n] != digest)
    if wrong:
        raise unreadable(f"somme de contrôle fausse pour {wrong[0]}")
    return manifest


def _check_migrations(manifest: dict) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    for app_label, names in sorted((manifest.get("migrations") or {}).items()):
        for migration in names:
            if (app_label, migration) not in known:
                raise TransferError(TransferError.NEWER, migration=f"{app_label}.{migration}")


def _check_free(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise TransferError(TransferError.SLUG_INVALID, slug=slug)
    if Collectivite.objects.filter(schema_name=slug).exists() or schema_exists(slug):
        raise TransferError(TransferError.EXISTS, slug=slug)
    domain = f"{slug}.{settings.PORTAL_DOMAIN}"
    if Domain.objects.filter(domain=domain).exists():
        raise TransferError(TransferError.DOMAIN_EXISTS, domain=domain)
    private = _private_backend()
    roots = [settings.MEDIA_ROOT]
    if isinstance(private, FileSystemStorage):
        roots.insert(0, settings.PRIVATE_MEDIA_ROOT)
    elif _stored_names(private, slug):
        where = f"{private.bucket_name}/{private.location}/{slug}".replace("//", "/")
        raise TransferError(TransferError.FILES_EXIST, slug=slug, where=where)
    for root in roots:
        folder = Path(root) / slug
        if folder.exists() and any(folder.iterdir()):
            raise TransferError(TransferError.FILES_EXIST, slug=slug, where=str(folder))
    return domain


def _rows(staging: Path, name: str) -> Iterator:
    path = staging / name
    if not path.exists():
        return
    with path.open(encoding="utf-8") as stream:
        yield from serializers.deserialize("jsonl", stream)


def _renamed(value: str, old: str, new: str) -> str:
    return f"{new}/{value[len(old) + 1 :]}" if value.startswith(f"{old}/") else value


@dataclass
class _Load:
    """Old ids -> new ids while loading one archive."""

    old_schema: str
    new: Collectivite
    users: dict[int, int] = field(default_factory=dict)
    memberships: dict[int, int] = field(default_factory=dict)
    created: int = 0
    rows: int = 0
    codes_skipped: int = 0

    def remap(self, obj, contenttypes: dict[int, int]) -> None:
        """Point ``obj``'s references at this server's rows: accounts, content types, files."""
        model = type(obj)
        for fk in _user_fks(model):
            old = getattr(obj, fk.attname)
            if old is not None:
                setattr(obj, fk.attname, self.users.get(old))
        for fk in _contenttype_fks(model):
            old = getattr(obj, fk.attname)
            if old is not None:
                setattr(obj, fk.attname, contenttypes[old])
        for fk in _tenant_fks(model):
            if getattr(obj, fk.attname) is not None:
                setattr(obj, fk.attname, self.new.pk)
        for file_field in _file_fields(model):
            value = getattr(obj, file_field.attname)
            if value:
                setattr(
                    obj,
                    file_field.attname,
                    _renamed(str(value), self.old_schema, self.new.schema_name),
                )
        if getattr(obj, "schema_name", None) == self.old_schema and not isinstance(
            obj, Collectivite
        ):
            obj.schema_name = self.new.schema_name


def _contenttype_map(staging: Path, name: str) -> dict[int, int]:
    """Map the archive's content type ids to this schema's (created if missing)."""
    exported = json.loads((staging / name).read_text(encoding="utf-8"))
    return {
        int(pk): ContentType.objects.get_or_create(app_label=app, model=model)[0].pk
        for pk, (app, model) in exported.items()
    }


def _load_accounts(staging: Path, load: _Load, with_passwords: bool) -> None:
    """Link each exported account to this server's account of the same e-mail, or create it.

    A created account has no usable password and is inactive unless the archive carried
    password hashes: its owner is never let in by someone else's import.
    """
    user_model = get_user_model()
    for item in _rows(staging, "shared/user.jsonl"):
        exported = item.object
        existing = user_model.objects.filter(email__iexact=exported.email).first()
        if existing is not None:
            load.users[exported.pk] = existing.pk
            continue
        old_pk = exported.pk
        exported.pk = None
        exported.is_staff = exported.is_superuser = False
        if with_passwords and exported.password:
            pass  # the exported hash, as it was
        else:
            exported.set_unusable_password()
            exported.is_active = False
        exported.save(force_insert=True)
        load.users[old_pk] = exported.pk
        load.created += 1


def _load_shared(staging: Path, load: _Load) -> None:
    for name in ("shared/membership.jsonl", "shared/adhesion.jsonl"):
        for item in _rows(staging, name):
            old_pk = item.object.pk
            item.object.pk = None
            load.remap(item.object, {})
            if item.object.user_id is None:
                continue  # an account that no longer existed at export
            item.save(force_insert=True)
            if name == "shared/membership.jsonl":
                load.memberships[old_pk] = item.object.pk
            load.rows += 1
    taken = set(AdhesionCode.objects.values_list("code_hash", flat=True))
    for item in _rows(staging, "shared/adhesioncode.jsonl"):
        # A code hash is unique on the platform: on the server that still holds the
        # original, its codes stay the original's (counted, reported).
        if item.object.code_hash in taken:
            load.codes_skipped += 1
            continue
        item.object.pk = None
        load.remap(item.object, {})
        item.save(force_insert=True)
        load.rows += 1
    contenttypes = _contenttype_map(staging, "shared/contenttypes.json")
    object_ids = {"tenants.membership": load.memberships}
    for item in _rows(staging, "shared/auditentry.jsonl"):
        entry = item.object
        entry.pk = None
        load.remap(entry, contenttypes)
        if entry.model_label == "tenants.collectivite":
            entry.object_id, entry.object_pk = load.new.pk, str(load.new.pk)
        elif entry.object_id in object_ids.get(entry.model_label, {}):
            entry.object_id = object_ids[entry.model_label][entry.object_id]
            entry.object_pk = str(entry.object_id)
        item.save(force_insert=True)
        load.rows += 1


def _load_tenant(staging: Path, load: _Load, manifest: dict) -> None:
    contenttypes = _contenttype_map(staging, "tenant/contenttypes.json")
    loaded = []
    for model in tenant_models():
        name = _member_name(model)
        if name not in manifest["sha256"]:
            continue  # a model this archive's version did not have yet
        for item in _rows(staging, name):
            load.remap(item.object, contenttypes)
            # Inserts only, primary keys kept: references inside the schema hold as they
            # were, and history tables that refuse UPDATE accept the load.
            item.save(force_insert=True)
            load.rows += 1
        loaded.append(model)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
            cursor.execute(statement)


def _private_backend():
    """The private files' storage as configured: this disk, or a bucket (portal.storage)."""
    return private_storage().backend


def _stored_names(storage, folder: str) -> list[str]:
    """Every file name under ``folder`` of ``storage``, sorted (a bucket's « folders » are
    the prefixes of its names)."""
    folders, names = storage.listdir(folder)
    found = [f"{folder}/{name}" for name in names]
    for sub in folders:
        found += _stored_names(storage, f"{folder}/{sub}")
    return sorted(found)


def _store_tree(source: Path, storage, slug: str, stored: list[str]) -> int:
    """Save every file of ``source`` into ``storage`` under ``slug``/, recording the names."""
    if not source.is_dir():
        return 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        with path.open("rb") as stream:
            stored.append(storage.save(f"{slug}/{path.relative_to(source).as_posix()}", stream))
    return len(stored)


def _copy_tree(source: Path, target: Path) -> int:
    if not source.is_dir():
        return 0
    shutil.copytree(source, target, dirs_exist_ok=False)
    return sum(1 for p in target.rglob("*") if p.is_file())


def _collectivite_fields(staging: Path) -> dict:
    rows = list(_rows(staging, "shared/collectivite.jsonl"))
    if len(rows) != 1:
        raise TransferError(
            TransferError.UNREADABLE, name="shared/collectivite.jsonl", detail="ligne"
        )
    exported = rows[0].object
    return {
        f.name: getattr(exported, f.attname)
        for f in Collectivite._meta.concrete_fields
        if f.name not in COLLECTIVITE_FIELDS_KEPT_OUT
    }


def collectivite_import(*, path: Path, slug: str) -> ImportReport:
    """Restore the archive ``path`` as collectivité ``slug``, at ``<slug>.<PORTAL_DOMAIN>``."""
    with tempfile.TemporaryDirectory(prefix="ef-import-") as folder:
        staging = Path(folder)
        manifest = _verified_archive(Path(path), staging)
        _check_migrations(manifest)
        connection.set_schema_to_public()
        domain = _check_free(slug)
        fields = _collectivite_fields(staging)
        old_schema = manifest["collectivite"]
        created_folders: list[Path] = []
        # Private files written to a bucket, removed again if the import fails.
        private, stored = _private_backend(), []
        with disable_auditlog():
            collectivite = Collectivite(schema_name=slug, **fields)
            collectivite.full_clean()
            collectivite.save(verbosity=0)  # creates and migrates its schema
            try:
                Domain.objects.create(domain=domain, tenant=collectivite, is_primary=True)
                load = _Load(old_schema=old_schema, new=collectivite)
                files = 0
                with transaction.atomic():
                    _load_accounts(staging, load, bool(manifest.get("with_passwords")))
                    _load_shared(staging, load)
                    with tenant_context(collectivite):
                        _load_tenant(staging, load, manifest)
                        # Foreign keys are checked at commit; check them now, while a
                        # failure still undoes everything below.
                        connection.check_constraints()
                    trees = [(staging / "files/media", settings.MEDIA_ROOT)]
                    if isinstance(private, FileSystemStorage):
                        trees.insert(0, (staging / "files/private", settings.PRIVATE_MEDIA_ROOT))
                    else:
                        files += _store_tree(staging / "files/private", private, slug, stored)
                    for source, root in trees:
                        target = Path(root) / slug
                        if source.is_dir():
                            created_folders.append(target)
                            files += _copy_tree(source, target)
                    logos = sorted((staging / "files/logo").glob("*"))
                    if logos:
                        storage = platform_storage()
                        with logos[0].open("rb") as stream:
                            name = storage.save(f"logos/{slug}/{logos[0].name}", stream)
                        created_folders.append(Path(storage.path(name)).parent)
                        Collectivite.objects.filter(pk=collectivite.pk).update(logo=name)
                        files += 1
            except Exception as error:
                connection.set_schema_to_public()
                for folder_path in created_folders:
                    shutil.rmtree(folder_path, ignore_errors=True)
                for name in stored:
                    private.delete(name)
                collectivite.delete(force_drop=True)
                AuditEntry.objects.filter(schema_name=slug).delete()
                detail = error.message if isinstance(error, TransferError) else type(error).__name__
                raise TransferError(TransferError.LOAD_FAILED, detail=detail, slug=slug) from error
    connection.set_schema_to_public()
    collectivite.refresh_from_db()
    return ImportReport(
        collectivite=collectivite,
        domain=domain,
        rows=load.rows,
        files=files,
        accounts_linked=len(load.users) - load.created,
        accounts_created=load.created,
        codes_skipped=load.codes_skipped,
    )
