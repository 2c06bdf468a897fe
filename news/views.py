"""« Mes actualités »: the list with its archive, one post, its attachment."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from news import rules
from news.selectors import post_for_reader, post_page, reader_for
from portal.decorators import family_required

POST_NOT_FOUND = "Cette actualité n'existe pas ou ne vous est pas destinée."
NO_ATTACHMENT = "Cette actualité n'a pas de pièce jointe."


def _post_or_404(request, pk: int):
    reader = reader_for(user=request.user, collectivite=request.tenant)
    post = post_for_reader(reader=reader, pk=pk, now=timezone.now())
    if post is None:
        raise Http404(POST_NOT_FOUND)
    return post


@require_GET
@family_required
def index(request):
    """Visible posts, pinned first then newest, PAGE_SIZE per page."""
    reader = reader_for(user=request.user, collectivite=request.tenant)
    page = post_page(reader=reader, number=request.GET.get("page"), now=timezone.now())
    return render(request, "news/index.html", {"page": page})


@require_GET
@family_required
def detail(request, pk: int):
    """One post; staff also preview posts not online (drafts, scheduled, withdrawn)."""
    post = _post_or_404(request, pk)
    state = rules.publication_state(
        publish_at=post.publish_at, unpublish_at=post.unpublish_at, now=timezone.now()
    )
    preview = None if state == rules.PublicationState.PUBLISHED else rules.PUBLICATION_LABELS[state]
    return render(request, "news/detail.html", {"post": post, "preview": preview})


@require_GET
@family_required
@cache_control(private=True, max_age=0)
def attachment(request, pk: int):
    """Stream a post's attachment to a family it is for, or to staff; 404 to anyone else."""
    post = _post_or_404(request, pk)
    if not post.attachment:
        raise Http404(NO_ATTACHMENT)
    try:
        file = post.attachment.open("rb")
    except FileNotFoundError as error:
        raise Http404(NO_ATTACHMENT) from error
    mime = rules.attachment_type(file.read(rules.ATTACHMENT_HEAD_BYTES))
    file.seek(0)
    if mime is None:  # replaced on disk by something else: never served
        file.close()
        raise Http404(NO_ATTACHMENT)
    return FileResponse(file, content_type=mime, filename=post.attachment_filename)
