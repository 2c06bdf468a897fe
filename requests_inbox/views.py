"""« Mes demandes »: the family's threads, a new request, an absence, a thread, its files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from portal.admin_sites import is_tenant_staff
from portal.decorators import NO_FOYER_HERE, family_required, foyer_required_by
from portal.ratelimits import message_limit, request_limit
from requests_inbox import selectors, services
from requests_inbox.exceptions import RequestsError
from requests_inbox.forms import AbsenceForm, ReplyForm, ThreadForm
from requests_inbox.models import ThreadStatus

THREAD_NOT_FOUND = "Cette demande n'existe pas."
ATTACHMENT_NOT_FOUND = "Cette pièce jointe n'existe pas."
SENT = "Votre demande a été envoyée à la mairie."
ABSENCE_SENT = (
    "Votre déclaration d'absence a été envoyée à la mairie. Vous serez prévenu de sa décision."
)
REPLIED = "Votre message a été envoyé."

foyer_required = foyer_required_by(selectors.foyer_of_user)


def _detail_url(pk: int, anchor: str = "") -> str:
    return reverse("requests_inbox:detail", args=[pk]) + (f"#{anchor}" if anchor else "")


@require_GET
@family_required
def index(request):
    """The foyer's requests, newest activity first, with what the mairie wrote unread.

    The menu leads here: an account without a foyer here (staff, or a family the mairie
    has not linked yet) is told so rather than shown an error page.
    """
    foyer = selectors.foyer_of_user(user=request.user)
    if foyer is None:
        return render(request, "requests_inbox/index.html", {"no_foyer": NO_FOYER_HERE})
    threads = selectors.family_threads(foyer=foyer)
    return render(request, "requests_inbox/index.html", {"threads": threads})


@require_http_methods(["GET", "POST"])
@request_limit
@foyer_required
def new(request, foyer):
    """« Nouvelle demande »: a category, a subject, a message and an optional file."""
    posted = request.method == "POST"
    form = ThreadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.thread_open(
                foyer=foyer,
                category=data["category"],
                subject=data["subject"],
                body=data["body"],
                attachment=data["attachment"],
                user=request.user,
            )
        except RequestsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, SENT)
            return redirect(_detail_url(thread.pk))
    return render(request, "requests_inbox/new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@request_limit
@foyer_required_by(selectors.foyer_with_children)
def absence(request, foyer):
    """« Déclarer une absence »: a child of the foyer, the days, the motif, the justificatif."""
    posted = request.method == "POST"
    children = list(foyer.children.all())
    form = AbsenceForm(
        request.POST if posted else None, request.FILES if posted else None, children=children
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            declared = services.absence_declare(
                foyer=foyer,
                child=data["child"],
                start=data["start"],
                end=data["end"],
                motif=data["motif"],
                attachment=data["justificatif"],
                user=request.user,
            )
        except RequestsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, ABSENCE_SENT)
            return redirect(_detail_url(declared.thread_id))
    return render(request, "requests_inbox/absence.html", {"form": form, "children": children})


@require_http_methods(["GET", "POST"])
@message_limit
@foyer_required
def detail(request, foyer, pk):
    """A thread, oldest message first, and the family's answer; reading marks it read."""
    thread = selectors.family_thread(foyer=foyer, pk=pk)
    if thread is None:
        raise Http404(THREAD_NOT_FOUND)
    posted = request.method == "POST"
    form = ReplyForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            services.message_post(
                thread=thread,
                body=form.cleaned_data["body"],
                attachment=form.cleaned_data["attachment"],
                user=request.user,
                from_staff=False,
            )
        except RequestsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, REPLIED)
            return redirect(_detail_url(thread.pk, "repondre"))
    unread_ids = selectors.unread_message_ids(
        messages=thread.messages.all(), by_staff=False, read_mark=thread.family_read_at
    )
    if not posted:
        services.thread_mark_read(thread=thread, by_staff=False, upto=thread.last_message_at)
    return render(
        request,
        "requests_inbox/detail.html",
        {
            "thread": thread,
            "absence": selectors.thread_absence(thread=thread),
            "unread_ids": unread_ids,
            "closed": thread.status == ThreadStatus.CLOSED,
            "form": form,
        },
    )


@require_GET
@login_required
def attachment(request, pk):
    """Send an attachment to the foyer of its thread, or to this collectivité's staff; else 404.

    Files are outside MEDIA_ROOT: this view is their only way out.
    """
    user = request.user
    if is_tenant_staff(user, request.tenant) and user.has_perm("requests_inbox.view_attachment"):
        found = selectors.attachment_for_staff(
            pk=pk, with_health=user.has_perm("families.view_health")
        )
    else:
        found = selectors.attachment_for_family(user=user, pk=pk)
    if found is None:
        raise Http404(ATTACHMENT_NOT_FOUND)
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as error:
        raise Http404(ATTACHMENT_NOT_FOUND) from error
    response = FileResponse(
        handle, as_attachment=True, filename=found.name, content_type=found.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
