"""Audit entries: django-auditlog's log entry, with the collectivité and model it concerns.

One table per schema. A change to a collectivité's own data (foyers, bookings, news...) is
written in its schema; a change to a row of the public schema (a staff membership, the
collectivité's settings) is written in the public schema with ``schema_name`` naming the
collectivité, and each collectivité's admin reads its own through ``SharedAuditEntry``.
"""

from __future__ import annotations

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context


class Action(models.IntegerChoices):
    # auditlog's values (AbstractLogEntry.Action), with French labels.
    CREATE = 0, "Création"
    UPDATE = 1, "Modification"
    DELETE = 2, "Suppression"
    ACCESS = 3, "Consultation"


class AuditEntryManager(LogEntryManager):
    def log_create(self, instance, force_log: bool = False, **kwargs):
        """Write the entry in the schema that holds ``instance``, naming its collectivité."""
        from portal.audit import registry

        kwargs.setdefault("model_label", instance._meta.label_lower)
        scope = registry.shared_scope(instance)
        if scope is None:
            kwargs.setdefault("schema_name", connection.schema_name)
            return super().log_create(instance, force_log=force_log, **kwargs)
        kwargs["schema_name"] = scope
        with schema_context(get_public_schema_name()):
            return super().log_create(instance, force_log=force_log, **kwargs)


class AbstractAuditEntry(AbstractLogEntry):
    action = models.PositiveSmallIntegerField("action", choices=Action.choices, db_index=True)
    object_repr = models.TextField("objet")
    timestamp = models.DateTimeField("le", db_index=True, default=timezone.now)
    # Bare id, like the other references to accounts from a collectivité's schema: the
    # history stays when an account is deleted, and actor_email still says who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="par",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # null=True as in auditlog, which writes None when there is no actor or request id.
    actor_email = models.CharField(  # noqa: DJ001
        "par (e-mail)", max_length=254, null=True, blank=True
    )
    remote_addr = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    cid = models.CharField(  # noqa: DJ001
        "requête", max_length=255, db_index=True, null=True, blank=True
    )
    schema_name = models.CharField("collectivité (schéma)", max_length=63, db_index=True)
    model_label = models.CharField("type", max_length=100, db_index=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        abstract = True
        verbose_name = "modification"
        verbose_name_plural = "journal des modifications"


class AuditEntry(AbstractAuditEntry):
    class Meta(AbstractAuditEntry.Meta):
        indexes = [models.Index(fields=["model_label", "-timestamp"], name="audit_model_time")]


class SharedAuditEntry(AbstractAuditEntry):
    """The public schema's entries, read from a collectivité's admin (filtered there).

    Unmanaged, on the public schema's table named in full: in a collectivité's schema the
    bare name would find that schema's own table first.
    """

    class Meta(AbstractAuditEntry.Meta):
        managed = False
        db_table = f'{get_public_schema_name()}"."audit_auditentry'
        verbose_name = "modification du personnel ou des réglages"
        verbose_name_plural = "journal du personnel et des réglages"
