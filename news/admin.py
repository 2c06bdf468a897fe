"""The collectivité's admin of its news: writing, preview, publication, e-mail to families."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone

from news import services
from news.exceptions import NewsError
from news.models import Post
from news.rules import PUBLICATION_LABELS, PublicationState, publication_state
from news.selectors import audience_foyers, publication_q
from portal.admin_sites import tenant_admin_site
from portal.search import ForgivingSearchMixin
from reservations.models import Service

EVERYONE = "Toutes les familles"
SAVE_TO_PREVIEW = "Enregistrez (par exemple en brouillon) pour voir l'aperçu."
EMAIL_QUEUED = (
    "{count} actualité(s) en cours d'envoi par e-mail : une fois à chaque foyer concerné qui a "
    "choisi d'être prévenu par e-mail."
)


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
    readonly_fields = ["preview", "audience_size", "emailed_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "category", "pinned"]}),
        ("Texte", {"fields": ["body", "preview", "attachment"]}),
        (
            "Publication",
            {"fields": ["publish_at", "unpublish_at", "service", "audience_size"]},
        ),
        ("Suivi", {"fields": ["emailed_at", "created_at", "updated_at"]}),
    ]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 14, "cols": 80})}
    }
    actions = ["send_by_email"]

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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service":
            kwargs["empty_label"] = EVERYONE
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.post_write(post=obj)

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
