"""The confirmed import of foyers and children, run as a Celery job with its progress."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from families.exceptions import FamiliesError
from families.models import ImportJob, ImportStatus
from portal.dispatch import task_dispatch_on_commit

logger = logging.getLogger(__name__)
PROGRESS_SECONDS = 3600


def progress_key(job_id: int) -> str:
    from django.db import connection

    return f"import-progress:{connection.schema_name}:{job_id}"


def import_progress(*, job: ImportJob) -> int:
    """Return how many rows the running ``job`` has done (0 when unknown)."""
    return int(cache.get(progress_key(job.pk)) or 0)


def import_job_start(*, file_name: str, storage_name: str, format_index: int, user) -> ImportJob:
    """Record the confirmed import and hand it to a worker once the row is committed."""
    from families.tasks import import_run_task

    job = ImportJob.objects.create(
        file_name=file_name[:255],
        storage_name=storage_name,
        format_index=format_index,
        created_by_id=getattr(user, "pk", None),
    )
    task_dispatch_on_commit(import_run_task, job_id=job.pk)
    return job


def _error_lines(result) -> list[str]:
    lines = [str(error.error) for error in result.base_errors]
    for row in result.error_rows:
        lines += [f"Ligne {row.number} : {error.error}" for error in row.errors]
    for row in result.invalid_rows:
        for column, messages in row.field_specific_errors.items():
            lines.append(f"Ligne {row.number} — {column} : {' '.join(messages)}")
        lines += [f"Ligne {row.number} : {m}" for m in row.non_field_specific_errors]
    return lines


def import_run(*, job_id: int) -> ImportJob:
    """Import the job's file in one transaction; all or nothing, errors kept on the job.

    Safe to run twice: a job that is no longer pending is left alone.
    """
    from families.admin import FoyerAdmin
    from families.resources import ChildResource

    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING
    )
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    input_format = FoyerAdmin.import_formats[job.format_index]()
    storage = FoyerAdmin.tmp_storage_class(
        name=job.storage_name,
        encoding=None if input_format.is_binary() else "utf-8-sig",
        read_mode=input_format.get_read_mode(),
    )
    try:
        dataset = input_format.create_dataset(storage.read())
        job.total_rows = len(dataset)
        job.save(update_fields=["total_rows"])
        resource = ChildResource()
        resource.progress_key = progress_key(job.pk)
        # The staff member who confirmed: quotients familiaux imported are « saisi par » them.
        user = get_user_model().objects.filter(pk=job.created_by_id).first()
        result = resource.import_data(
            dataset,
            dry_run=False,
            raise_errors=False,
            rollback_on_validation_errors=True,
            use_transactions=True,
            user=user,
        )
    except FamiliesError as error:
        job.status, job.errors = ImportStatus.FAILED, [error.message]
    except Exception:
        logger.exception("Import job %s failed", job_id)
        job.status = ImportStatus.FAILED
        job.errors = ["Le fichier n'a pas pu être lu : vérifiez son format, puis recommencez."]
    else:
        if result.has_errors() or result.has_validation_errors():
            job.status, job.errors = ImportStatus.FAILED, _error_lines(result)
        else:
            job.status = ImportStatus.DONE
            job.summary = {
                "foyers": getattr(result, "foyers_created", 0),
                "new": result.totals["new"],
                "update": result.totals["update"],
            }
    finally:
        storage.remove()
        cache.delete(progress_key(job.pk))
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "summary", "finished_at"])
    return job
