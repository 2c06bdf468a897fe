"""Reads about foyers for the family's own pages, in the current collectivité's schema."""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from families.models import Child, Foyer, QuotientFamilial, Responsable
from tenants.models import Adhesion


def foyer_for_user(*, user) -> Foyer | None:
    """Return the account's foyer in the current schema, or None.

    Four queries whatever the size of the family: the foyer (with its account), then its
    responsables, children and quotients familiaux, each in one prefetch query.
    """
    return (
        Foyer.objects.filter(user=user)
        .select_related("user")
        .prefetch_related(
            Prefetch("responsables", queryset=Responsable.objects.order_by("rank")),
            Prefetch("children", queryset=Child.objects.order_by("birth_date", "first_name", "pk")),
            Prefetch("quotients", queryset=QuotientFamilial.objects.order_by("-valid_from")),
        )
        .first()
    )


def user_has_foyer(*, user) -> bool:
    """Tell whether the account has a foyer in the current schema (one query)."""
    return Foyer.objects.filter(user=user).exists()


def responsable_of_rank(*, foyer: Foyer, rank: int) -> Responsable | None:
    """Return the foyer's responsable ``rank`` from the prefetched rows (no query)."""
    return next((r for r in foyer.responsables.all() if r.rank == rank), None)


def child_of_foyer(*, foyer: Foyer, child_id: int) -> Child | None:
    """Return the foyer's child ``child_id`` from the prefetched rows, None if not its own.

    Another foyer's child is never fetched, so its existence is never revealed.
    """
    return next((c for c in foyer.children.all() if c.pk == child_id), None)


def quotient_valid_on(*, foyer: Foyer, on: date) -> QuotientFamilial | None:
    """Return the quotient familial valid on ``on`` from the prefetched rows (no query)."""
    for quotient in foyer.quotients.all():  # newest first
        if quotient.valid_from <= on and (quotient.valid_to is None or quotient.valid_to >= on):
            return quotient
    return None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _datetime(value: datetime | None) -> str | None:
    # Shown in the collectivité's time zone, as on every page.
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _responsable_export(responsable: Responsable) -> dict:
    return {
        "rang": responsable.rank,
        "civilite": responsable.get_civilite_display(),
        "nom": responsable.last_name,
        "prenom": responsable.first_name,
        "telephone_principal": responsable.phone,
        "telephone_secondaire": responsable.phone_secondary,
        "email_principal": responsable.email,
        "email_secondaire": responsable.email_secondary,
        "adresse": responsable.address,
        "notification": responsable.get_notification_display(),
    }


def _child_export(child: Child) -> dict:
    return {
        "nom": child.last_name,
        "prenom": child.first_name,
        "date_de_naissance": _date(child.birth_date),
        "sexe": child.get_sexe_display(),
        "ecole": child.school,
        "classe": child.classe,
        "regime_alimentaire": child.get_regime_display(),
        # The family's own data: health fields are hidden from the pages, not from this copy.
        "allergies": child.allergies,
        "pai": child.pai,
    }


def _quotient_export(quotient: QuotientFamilial) -> dict:
    return {
        "valeur": quotient.value,
        "source": quotient.get_source_display(),
        "valable_du": _date(quotient.valid_from),
        "valable_au": _date(quotient.valid_to),
        "saisi_le": _datetime(quotient.created_at),
    }


def foyer_export(*, foyer: Foyer, now: datetime | None = None) -> dict:
    """Return everything the portal holds about ``foyer`` and its account, ready for JSON.

    ``foyer`` comes from ``foyer_for_user`` (account, responsables, children and quotients
    already loaded); the account's adhesions add one query. Only fields listed here leave
    the portal: never a password hash, never another foyer's row. Later parts of the portal
    (bookings, invoices, messages) add their own sections to this dictionary.
    """
    now = now or timezone.now()
    user = foyer.user
    adhesions = Adhesion.objects.filter(user=user).select_related("collectivite")
    return {
        "export": {
            "genere_le": _datetime(now),
            "collectivite": connection.tenant.name,  # loaded with the request: no query
        },
        "compte": {
            "email": user.email,
            "civilite": user.get_civilite_display(),
            "nom": user.last_name,
            "prenom": user.first_name,
            "nom_du_foyer": user.household_name,
            "telephone_principal": user.phone,
            "telephone_secondaire": user.phone_secondary,
            "email_secondaire": user.email_secondary,
            "notification": user.get_notification_display(),
            "inscrit_le": _datetime(user.date_joined),
            "email_confirme_le": _datetime(user.email_confirmed_at),
            "derniere_connexion": _datetime(user.last_login),
        },
        "adhesions": [
            {"collectivite": adhesion.collectivite.name, "depuis": _datetime(adhesion.created_at)}
            for adhesion in adhesions
        ],
        "foyer": {
            "nom": foyer.name,
            "email_de_connexion": foyer.email,
            "cree_le": _datetime(foyer.created_at),
        },
        "responsables": [_responsable_export(r) for r in foyer.responsables.all()],
        "enfants": [_child_export(c) for c in foyer.children.all()],
        "quotients_familiaux": [_quotient_export(q) for q in foyer.quotients.all()],
    }


def foyer_history_export(*, foyer: Foyer) -> tuple[dict, list]:
    """Return the foyer's bookings, waiting lists and requests for its data download.

    Also returns the attachments [(path in the zip, Attachment)] so that the download
    carries the files themselves. Six queries whatever the history's size: bookings with
    their prestations, their events, waiting-list entries, threads with their absence,
    messages, attachments.
    """
    from requests_inbox.models import Attachment, Message, Thread
    from reservations.models import Booking, BookingEvent, WaitingListEntry

    children = {child.pk: child for child in foyer.children.all()}
    bookings = (
        Booking.objects.filter(child_id__in=children)
        .select_related("prestation")
        .prefetch_related(Prefetch("events", queryset=BookingEvent.objects.order_by("at", "pk")))
        .order_by("day", "prestation__name", "pk")
    )
    waiting = (
        WaitingListEntry.objects.filter(child_id__in=children)
        .select_related("prestation")
        .order_by("day", "pk")
    )
    threads = (
        Thread.objects.filter(foyer=foyer)
        .select_related("absence")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.order_by("created_at", "pk").prefetch_related(
                    Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
                ),
            )
        )
        .order_by("created_at", "pk")
    )

    def child_name(child_id: int) -> str:
        child = children[child_id]
        return f"{child.first_name} {child.last_name}"

    files: list = []
    requests = []
    for thread in threads:
        absence = getattr(thread, "absence", None)
        messages = []
        for message in thread.messages.all():
            attached = []
            for attachment in message.attachments.all():
                path = f"pieces-jointes/demande-{thread.pk}/{attachment.pk}-{attachment.name}"
                files.append((path, attachment))
                attached.append({"nom": attachment.name, "fichier": path})
            messages.append(
                {
                    "de": "la mairie" if message.from_staff else "la famille",
                    "ecrit_le": _datetime(message.created_at),
                    "texte": message.body,
                    "pieces_jointes": attached,
                }
            )
        requests.append(
            {
                "objet": thread.subject,
                "categorie": thread.get_category_display(),
                "statut": thread.get_status_display(),
                "creee_le": _datetime(thread.created_at),
                "absence": {
                    "enfant": child_name(absence.child_id),
                    "du": _date(absence.start),
                    "au": _date(absence.end),
                    "motif": absence.motif,
                    "decision": absence.get_status_display(),
                }
                if absence
                else None,
                "messages": messages,
            }
        )
    history = {
        "reservations": [
            {
                "enfant": child_name(booking.child_id),
                "prestation": booking.prestation.name,
                "jour": _date(booking.day),
                "etat": booking.get_state_display(),
                "historique": [
                    {
                        "etat": event.get_state_display(),
                        "le": _datetime(event.at),
                        "par_la_mairie": event.by_staff,
                        "motif": event.note,
                    }
                    for event in booking.events.all()
                ],
            }
            for booking in bookings
        ],
        "listes_d_attente": [
            {
                "enfant": child_name(entry.child_id),
                "prestation": entry.prestation.name,
                "jour": _date(entry.day),
                "inscrit_le": _datetime(entry.created_at),
                "place_obtenue": entry.promoted_to_id is not None,
            }
            for entry in waiting
        ],
        "demandes": requests,
    }
    return history, files
