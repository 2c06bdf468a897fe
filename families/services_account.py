"""Writes a family makes on its own account pages: contact details, responsable 2, children.

What parents may change is listed here and nowhere else: contact details of the
responsables (never their names once recorded), responsable 2 itself, and the school,
class and diet of children when the collectivité allows it. The quotient familial and the
health fields are staff data.
"""

from __future__ import annotations

from django.db import transaction

from families.exceptions import FamiliesError
from families.models import Child, Foyer, Responsable
from tenants.models import Collectivite

RESPONSABLE_CONTACT_FIELDS = (
    "phone",
    "phone_secondary",
    "email",
    "email_secondary",
    "address",
    "notification",
)
RESPONSABLE_IDENTITY_FIELDS = ("civilite", "last_name", "first_name")
CHILD_PARENT_FIELDS = ("school", "classe", "regime")


class ResponsablesComplete(FamiliesError):
    message = "Votre foyer compte déjà deux responsables."


class ChildEditNotAllowed(FamiliesError):
    message = (
        "Votre collectivité ne permet pas de modifier l'école, la classe ou le régime de vos "
        "enfants en ligne. Pour signaler un changement, contactez la mairie."
    )


def _lock_foyer(foyer: Foyer) -> None:
    # Two tabs of the same family serialise on the foyer row before touching its responsables.
    Foyer.objects.select_for_update().filter(pk=foyer.pk).values_list("pk").first()


@transaction.atomic
def foyer_contacts_update(*, foyer: Foyer, contacts: dict[int, dict]) -> list[Responsable]:
    """Update the contact details of the foyer's responsables, keyed by rank.

    Only RESPONSABLE_CONTACT_FIELDS are written; a rank the foyer does not have is ignored.
    All or nothing: a ValidationError on one responsable leaves both unchanged.
    """
    _lock_foyer(foyer)
    rows = {r.rank: r for r in Responsable.objects.filter(foyer=foyer, rank__in=contacts)}
    updated = []
    for rank, values in sorted(contacts.items()):
        responsable = rows.get(rank)
        if responsable is None:
            continue
        for field in RESPONSABLE_CONTACT_FIELDS:
            if field in values:
                setattr(responsable, field, values[field])
        responsable.full_clean()
        responsable.save(update_fields=list(RESPONSABLE_CONTACT_FIELDS))
        updated.append(responsable)
    return updated


@transaction.atomic
def responsable_add(*, foyer: Foyer, **values) -> Responsable:
    """Add the foyer's next responsable (2, or 1 if staff recorded none); return it.

    ``values`` holds the identity and contact fields; any other key is ignored. Raises
    ResponsablesComplete when the foyer already has two.
    """
    _lock_foyer(foyer)
    taken = set(Responsable.objects.filter(foyer=foyer).values_list("rank", flat=True))
    free = [rank for rank in (1, 2) if rank not in taken]
    if not free:
        raise ResponsablesComplete()
    allowed = RESPONSABLE_IDENTITY_FIELDS + RESPONSABLE_CONTACT_FIELDS
    responsable = Responsable(
        foyer=foyer, rank=free[0], **{k: v for k, v in values.items() if k in allowed}
    )
    responsable.full_clean()
    responsable.save()
    return responsable


@transaction.atomic
def responsable_remove(*, foyer: Foyer) -> bool:
    """Remove the foyer's responsable 2; tell whether there was one.

    Responsable 1 is the foyer's main contact and is never removed by the family.
    """
    _lock_foyer(foyer)
    deleted, _ = Responsable.objects.filter(foyer=foyer, rank=2).delete()
    return bool(deleted)


@transaction.atomic
def child_update_by_parent(
    *, child: Child, collectivite: Collectivite, school: str, classe: str, regime: str
) -> Child:
    """Change a child's school, class and diet as its family asks.

    Raises ChildEditNotAllowed unless the collectivité lets families do so. The caller
    passes a child of the family's own foyer (``families.selectors.child_of_foyer``).
    """
    if not collectivite.parents_may_edit_children:
        raise ChildEditNotAllowed()
    child.school = school
    child.classe = classe
    child.regime = regime
    child.full_clean()
    child.save(update_fields=list(CHILD_PARENT_FIELDS))
    return child
