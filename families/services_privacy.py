"""Personal-data rights: deleting an account, the retention purge, in every collectivité.

What accounting must keep stays: bookings (the history invoices are built from) keep
pointing at their child, whose identity is anonymised; foyers stay as the mairie's record of
who was billed. What only served the family goes: contact details, health data, messages
and their files, quotients familiaux, the account's own fields.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import tenant_context

from families.models import Child, Foyer, Regime
from portal.models import OutgoingEmail
from tenants.exceptions import LastAdministrateur
from tenants.models import Adhesion, AdhesionCode, Collectivite, Membership, Role

logger = logging.getLogger(__name__)
DELETED_EMAIL = "compte-supprime-{pk}@espace-famille.invalid"


def _unbind_foyers(user) -> int:
    """Unbind ``user`` from its foyer in every collectivité it joined; return how many."""
    unbound = 0
    collectivites = Collectivite.objects.collectivites().filter(adhesions__user=user).distinct()
    for collectivite in collectivites:
        with tenant_context(collectivite):
            unbound += Foyer.objects.filter(user=user).update(user=None)
    return unbound


@transaction.atomic
def account_delete(*, user) -> None:
    """Delete a person's account the way the RGPD and public accounting both allow.

    The account is unbound from its foyer in each collectivité (the foyer stays, the mairie
    billed it), its adhesions and staff roles are removed, and its own fields are erased; the
    row itself stays, anonymised and unusable, so that the ids history keeps (who validated
    a booking, who wrote a message) still point at « compte supprimé ». Refused, with a
    French message, for the last administrateur of a collectivité. One transaction: every
    schema lives in the same database.
    """
    for member in Membership.objects.select_for_update().filter(
        user=user, role=Role.ADMINISTRATEUR, accepted_at__isnull=False
    ):
        others = Membership.objects.filter(
            collectivite=member.collectivite_id,
            role=Role.ADMINISTRATEUR,
            accepted_at__isnull=False,
        ).exclude(pk=member.pk)
        if not others.exists():
            raise LastAdministrateur()
    schema = connection.schema_name
    _unbind_foyers(user)
    connection.set_schema(schema)
    old_email = user.email
    Adhesion.objects.filter(user=user).delete()
    Membership.objects.filter(user=user).delete()
    # The journal's copies of e-mails to this address are personal data with no other use.
    OutgoingEmail.objects.filter(recipient__iexact=old_email).delete()
    _axes_forget(old_email)
    user.email = DELETED_EMAIL.format(pk=user.pk)
    for field in (
        "first_name",
        "last_name",
        "household_name",
        "civilite",
        "phone",
        "phone_secondary",
        "email_secondary",
    ):
        setattr(user, field, "")
    user.email_confirmed_at = None
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()  # also ends every session of the account
    user.save()


def _axes_forget(email: str) -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=email).delete()


def _anonymous_birth_date(born: date) -> date:
    # The year stays: attendance statistics by age group remain possible.
    return date(born.year, 1, 1)


@transaction.atomic
def foyer_anonymise(*, foyer: Foyer, now: datetime | None = None) -> Foyer:
    """Anonymise ``foyer`` (current schema) once its retention period is over.

    Kept: the foyer and children rows (renamed), and their bookings with their history, for
    the accounts. Removed: responsables, quotients, requests with their messages, absences
    and files, waiting-list entries, codes d'adhésion, the account's adhesion here.
    """
    from requests_inbox.models import Absence, Attachment, Thread
    from reservations.models import WaitingListEntry

    now = now or timezone.now()
    locked = Foyer.objects.select_for_update().get(pk=foyer.pk)
    if locked.anonymised_at is not None:
        return locked
    collectivite = connection.tenant
    children = list(Child.objects.filter(foyer=locked))
    files = list(
        Attachment.objects.filter(message__thread__foyer=locked).values_list("file", flat=True)
    )
    Absence.objects.filter(thread__foyer=locked).delete()
    Thread.objects.filter(foyer=locked).delete()
    WaitingListEntry.objects.filter(child__in=children, promoted_to__isnull=True).delete()
    locked.responsables.all().delete()
    locked.quotients.all().delete()
    for child in children:
        child.last_name = "ANONYME"
        child.first_name = f"Enfant {child.pk}"
        child.birth_date = _anonymous_birth_date(child.birth_date)
        child.school = child.classe = child.allergies = ""
        child.pai = False
        child.regime = Regime.CLASSIQUE
        child.save()
    if locked.user_id:
        Adhesion.objects.filter(user_id=locked.user_id, collectivite=collectivite).delete()
    AdhesionCode.objects.filter(collectivite=collectivite, foyer_id=locked.pk).delete()
    locked.name = f"FOYER ANONYMISÉ {locked.pk}"
    locked.email = ""
    locked.user = None
    locked.anonymised_at = now
    locked.save()
    transaction.on_commit(lambda: _files_remove(files))
    return locked


def _files_remove(names: list[str]) -> None:
    from portal.storage import private_storage

    for name in names:
        try:
            private_storage.delete(name)
        except OSError:
            logger.warning("Could not remove %s after anonymisation", name)


def foyers_due_for_purge(*, today: date, years: int):
    """Foyers of the current schema whose retention period ended before ``today``.

    A foyer's clock starts at its departure (``left_on``) or, later, its last sign of life:
    its creation, a booking day of one of its children, a message in its requests.
    """
    from django.db.models import Max
    from django.db.models.functions import Greatest, TruncDate

    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - years, day=28)
    return (
        Foyer.objects.filter(anonymised_at__isnull=True)
        .annotate(
            last_booking=Max("children__bookings__day"),
            last_message=TruncDate(Max("request_threads__last_message_at")),
        )
        .annotate(
            last_activity=Greatest(
                TruncDate("created_at"), "left_on", "last_booking", "last_message"
            )
        )
        .filter(Q(last_activity__lt=cutoff))
        .order_by("pk")
    )


def foyers_purge(*, collectivite: Collectivite, today: date | None = None) -> int:
    """Anonymise the foyers of ``collectivite`` past its retention period; return how many."""
    today = today or timezone.localdate()
    count = 0
    with tenant_context(collectivite):
        due = list(
            foyers_due_for_purge(today=today, years=collectivite.data_retention_years).values_list(
                "pk", flat=True
            )
        )
        for pk in due:
            foyer_anonymise(foyer=Foyer(pk=pk))
            count += 1
    return count
