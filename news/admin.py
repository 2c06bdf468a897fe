"""The collectivité's admin of its news: writing, preview, publication, e-mail to families."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from news import services
from news.exceptions import NewsError
from news.models import Category, Post
from news.rules import PUBLICATION_LABELS, PublicationState, publication_state
from news.selectors import audience_foyers, publication_q
from portal.admin_sites import tenant_admin_site
from portal.search import ForgivingSearchMixin
from reservations.models import Service

EVERYONE = "Toutes les familles"
SAVED_AS_DRAFT = (
    "« {title} » est enregistrée comme brouillon : les familles ne la voient pas. Pour la mettre "
    "en ligne, utilisez « Publier maintenant » ou indiquez une date de mise en ligne."
)
PUBLISHED_NOW = "« {title} » est en ligne : les familles concernées la voient dès maintenant."
SAVE_TO_PREVIEW = "Enregistrez (par exemple en brouillon) pour voir l'aperçu."
EMAIL_QUEUED = (
    "{count} actualité(s) en cours d'envoi par e-mail : une fois à chaque foyer concerné qui a "
    "choisi d'être prévenu par e-mail."
)


class _ShownFile:
    """A stored file as staff see it: its own name, never the folders it is stored in."""

    def __init__(self, file):
        self.url = file.url
        self.name = file.name.rsplit("/", 1)[-1]

    def __str__(self) -> str:
        return self.name


class AttachmentInput(forms.ClearableFileInput):
    """The admin's file input, showing « Actuellement : menu.pdf », not the storage path."""

    def format_value(self, value):
        if self.is_initial(value):
            return _ShownFile(value)
        return super().format_value(value)


class AudienceFilter(admin.SimpleListFilter):
    title = "destinataires"
    parameter_name = "destinataires"
    EVERYONE_VALUE = "toutes"

    def lookups(self, request, model_admin):
        sites = Service.objects.order_by("display_order", "name").values_list("pk", "name")
        return [(self.EVERYONE_VALUE, EVERYONE)] + [
            (str(pk), f"Familles du site {name}") for pk, name in sites
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.EVERYONE_VALUE:
            return queryset.filter(service__isnull=True)
        if value and value.isdigit():
            return queryset.filter(service_id=int(value))
        return queryset


class PublicationFilter(admin.SimpleListFilter):
    title = "publication"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [(state.value, PUBLICATION_LABELS[state]) for state in PublicationState]

    def queryset(self, request, queryset):
        if self.value() in {state.value for state in PublicationState}:
            return queryset.filter(publication_q(PublicationState(self.value()), timezone.now()))
        return queryset


@admin.register(Post, site=tenant_admin_site)
class PostAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "audience",
        "pinned",
        "publish_at",
        "state",
        "emailed_at",
    ]
    list_filter = ["category", AudienceFilter, PublicationFilter, "pinned"]
    search_fields = ["title", "body"]
    list_select_related = ["service"]
    readonly_fields = [
        "preview",
        "audience_size",
        "closure_link",
        "emailed_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "category", "pinned"]}),
        ("Texte", {"fields": ["body", "preview", "attachment"]}),
        (
            "Publication",
            {
                "fields": [
                    "publish_at",
                    "unpublish_at",
                    "service",
                    "audience_size",
                    "closure_link",
                ]
            },
        ),
        ("Suivi", {"fields": ["emailed_at", "created_at", "updated_at"]}),
    ]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 14, "cols": 80})}
    }
    actions = ["publish_now", "send_by_email"]
    change_form_template = "admin/news/post/change_form.html"

    @admin.display(description="destinataires", ordering="service__name")
    def audience(self, obj):
        return f"Familles du site {obj.service.name}" if obj.service else EVERYONE

    @admin.display(description="état")
    def state(self, obj):
        state = publication_state(
            publish_at=obj.publish_at, unpublish_at=obj.unpublish_at, now=timezone.now()
        )
        return PUBLICATION_LABELS[state]

    @admin.display(description="aperçu")
    def preview(self, obj):
        """The body as families will read it: rendered and sanitised."""
        if obj is None or obj.pk is None:
            return SAVE_TO_PREVIEW
        return render_to_string("news/_preview.html", {"post": obj})

    @admin.display(description="familles concernées aujourd'hui")
    def audience_size(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        count = audience_foyers(post=obj, now=timezone.now()).count()
        return f"{count} foyer{'s' if count > 1 else ''} ayant un compte"

    @admin.display(description="fermeture")
    def closure_link(self, obj):
        """A post announcing a closure leads to the closure itself: it is the closure that
        takes the days out of the grid and the sheets and cancels their bookings."""
        if obj is None or obj.pk is None or obj.category != Category.FERMETURE:
            return "—"
        from reservations.models import Closure

        closure = Closure.objects.filter(news_post=obj).first()
        if closure is not None:
            url = reverse("admin:reservations_closure_change", args=[closure.pk])
            return format_html('<a href="{}">{}</a>', url, closure)
        query = urlencode({"service": obj.service_id or "", "reason": obj.title})
        url = reverse("admin:reservations_closure_add")
        return format_html(
            '<a href="{}?{}">Créer la fermeture annoncée</a> (annule les réservations de ces '
            "jours et prévient les familles)",
            url,
            query,
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service":
            kwargs["empty_label"] = EVERYONE
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.post_write(post=obj)
        if obj.publish_at is None:
            self.message_user(request, SAVED_AS_DRAFT.format(title=obj.title), messages.WARNING)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "attachment":
            kwargs["widget"] = AttachmentInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "now": timezone.now()}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/publier/",
                self.admin_site.admin_view(self.publish_view),
                name="news_post_publish",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request, pk):
        """« Publier maintenant », from a draft's page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        post = get_object_or_404(Post, pk=pk)
        if not self.has_change_permission(request, post):
            raise PermissionDenied
        services.post_publish(post=post)
        self.message_user(request, PUBLISHED_NOW.format(title=post.title), messages.SUCCESS)
        return redirect(reverse("admin:news_post_change", args=[post.pk]))

    @admin.action(
        description="Publier maintenant les actualités sélectionnées", permissions=["change"]
    )
    def publish_now(self, request, queryset):
        for post in queryset:
            services.post_publish(post=post)
            self.message_user(request, PUBLISHED_NOW.format(title=post.title), messages.SUCCESS)

    @admin.action(description="Envoyer par e-mail aux familles", permissions=["change"])
    def send_by_email(self, request, queryset):
        queued = 0
        for post in queryset:
            try:
                services.post_email_request(post=post)
            except NewsError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                queued += 1
        if queued:
            self.message_user(request, EMAIL_QUEUED.format(count=queued), messages.SUCCESS)
