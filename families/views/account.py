"""A family's own account pages: « Mon profil », « Mes enfants », « Données personnelles »."""

from __future__ import annotations

import io
import json
import zipfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from families.forms.account import ChildEditForm, FoyerContactsForm, ResponsableAddForm
from families.selectors import (
    child_of_foyer,
    foyer_export,
    foyer_for_user,
    foyer_history_export,
    quotient_valid_on,
    responsable_of_rank,
    user_has_foyer,
)
from families.services_account import (
    ChildEditNotAllowed,
    ResponsablesComplete,
    child_update_by_parent,
    foyer_contacts_update,
    responsable_add,
    responsable_remove,
)
from portal.decorators import foyer_required_by

# The account pages show responsables and quotients: their selector loads them too.
foyer_required = foyer_required_by(foyer_for_user)


@require_http_methods(["GET", "POST"])
@foyer_required
def profile(request, foyer):
    """« Mon profil »: the foyer, its responsables and quotient familial; contact details."""
    form = FoyerContactsForm(foyer=foyer, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        foyer_contacts_update(foyer=foyer, contacts=form.contacts)
        messages.success(request, "Vos coordonnées ont été enregistrées.")
        return redirect("families:profile")
    return render(
        request,
        "families/account/profile.html",
        {
            "foyer": foyer,
            "form": form,
            "quotient": quotient_valid_on(foyer=foyer, on=timezone.localdate()),
            "responsable_2": responsable_of_rank(foyer=foyer, rank=2),
        },
    )


@require_http_methods(["GET", "POST"])
@foyer_required
def responsable_add_view(request, foyer):
    """Add responsable 2 (or 1 when the mairie recorded none)."""
    form = ResponsableAddForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            responsable = responsable_add(foyer=foyer, **form.cleaned_data)
        except ResponsablesComplete as exc:
            messages.error(request, exc.message)
            return redirect("families:profile")
        messages.success(request, f"Le responsable {responsable.rank} a été ajouté.")
        return redirect("families:profile")
    if request.method == "GET" and responsable_of_rank(foyer=foyer, rank=2):
        messages.info(request, ResponsablesComplete.message)
        return redirect("families:profile")
    return render(request, "families/account/responsable_add.html", {"form": form})


@require_http_methods(["GET", "POST"])
@foyer_required
def responsable_remove_view(request, foyer):
    """Remove responsable 2 after a confirmation page."""
    responsable = responsable_of_rank(foyer=foyer, rank=2)
    if responsable is None:
        raise Http404("Votre foyer n'a pas de responsable 2.")
    if request.method == "POST":
        responsable_remove(foyer=foyer)
        messages.success(request, "Le responsable 2 a été retiré de votre foyer.")
        return redirect("families:profile")
    return render(request, "families/account/responsable_remove.html", {"responsable": responsable})


@require_GET
@foyer_required
def children(request, foyer):
    """« Mes enfants »: the foyer's children, without their health data (staff only)."""
    return render(
        request,
        "families/account/children.html",
        {"foyer": foyer, "can_edit": request.tenant.parents_may_edit_children},
    )


@require_http_methods(["GET", "POST"])
@foyer_required
def child_edit(request, foyer, pk: int):
    """Correct a child's school, class and diet, where the collectivité allows it.

    The child is looked up among the foyer's own: any other id is a 404, whatever exists.
    """
    child = child_of_foyer(foyer=foyer, child_id=pk)
    if child is None:
        raise Http404("Cet enfant ne fait pas partie de votre foyer.")
    if not request.tenant.parents_may_edit_children:
        raise PermissionDenied(ChildEditNotAllowed.message)
    form = ChildEditForm.for_child(child, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            child_update_by_parent(child=child, collectivite=request.tenant, **form.cleaned_data)
        except ChildEditNotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        messages.success(request, f"Les informations de {child.first_name} ont été enregistrées.")
        return redirect("families:children")
    return render(request, "families/account/child_edit.html", {"child": child, "form": form})


@require_GET
def privacy(request):
    """« Données personnelles »: the collectivité's public notice; a download for families."""
    user = request.user
    return render(
        request,
        "families/account/privacy.html",
        {"can_download": user.is_authenticated and user_has_foyer(user=user)},
    )


@require_GET
@never_cache
@foyer_required
def export(request, foyer):
    """« Télécharger mes données »: a zip of everything held about the family, files included.

    ``donnees.json`` holds the account, foyer, responsables, children, quotients, bookings
    with their history, waiting lists and requests; ``pieces-jointes/`` the files attached
    to the requests, as they were sent.
    """
    data = foyer_export(foyer=foyer)
    history, files = foyer_history_export(foyer=foyer)
    data.update(history)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(data, ensure_ascii=False, indent=2))
        for path, attachment in files:
            try:
                with attachment.file.open("rb") as handle:
                    archive.writestr(path, handle.read())
            except FileNotFoundError:
                data_missing = f"{path}.absent.txt"
                archive.writestr(data_missing, "Ce fichier n'est plus disponible sur le serveur.")
    filename = (
        f"donnees-espace-famille-{request.tenant.schema_name}-"
        f"{timezone.localdate().isoformat()}.zip"
    )
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
