"""Closures in the admin: shown with the bookings they cancel before they are saved.

Adding or changing a closure takes two steps: the form, then the same form with what it
will do (bookings cancelled per day and prestation, families told, waiting lists emptied)
and a « Confirmer » button; only the confirmed values are saved, through
reservations.services.closures, which queues the job. The page of a closure then shows
the job's progress. Deleting one says what cannot be restored.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from portal.admin_sites import tenant_admin_site
from portal.search import ForgivingSearchMixin
from reservations.exceptions import CLOSURE_RUNNING, ClosureError
from reservations.models import Closure, ClosureStatus, Prestation
from reservations.selectors.closures import closure_preview
from reservations.services import closures

CONFIRM = "Vérifiez ci-dessous ce que la fermeture va faire, puis confirmez."
UNDO_WARNING = (
    "Les {count} réservations annulées par cette fermeture le resteront : les familles "
    "devront réserver à nouveau. Les e-mails envoyés et les avoirs émis ne sont pas repris."
)
UNDO_WARNING_ONE = (
    "La réservation annulée par cette fermeture le restera : la famille devra réserver à "
    "nouveau. L'e-mail envoyé et l'avoir émis ne sont pas repris."
)
UNDO_NOTHING = "Cette fermeture n'a annulé aucune réservation : rien n'est à reprendre."


def undo_warning(cancelled: int) -> str:
    """Say what deleting a closure that cancelled ``cancelled`` bookings cannot restore."""
    if cancelled == 0:
        return UNDO_NOTHING
    return UNDO_WARNING_ONE if cancelled == 1 else UNDO_WARNING.format(count=cancelled)


class PrestationChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.service.name})"


class ClosureForm(forms.ModelForm):
    prestations = PrestationChoice(
        label="Prestations",
        queryset=Prestation.objects.select_related("service"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aucune cochée : tout le service est fermé.",
    )
    publish_news = forms.BooleanField(
        label="Publier une actualité",
        required=False,
        help_text="Annonce la fermeture dans « Mes actualités » aux familles du service.",
    )
    # The fingerprint of the values shown with their consequences: only those are saved.
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Closure
        fields = ["service", "prestations", "start", "end", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preview = None
        if self.instance.pk:
            del self.fields["publish_news"]

    def service(self):
        return self.cleaned_data.get("service") or self.instance.service

    def fingerprint(self) -> str:
        data = self.cleaned_data
        text = "|".join(
            [
                str(self.service().pk),
                ",".join(sorted(str(p.pk) for p in data.get("prestations") or [])),
                data["start"].isoformat(),
                data["end"].isoformat(),
                data["reason"].strip(),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        service, prestations = self.service(), list(cleaned.get("prestations") or [])
        instance = self.instance
        try:
            cleaned["reason"] = closures.closure_check(
                service=service,
                prestations=prestations,
                start=cleaned["start"],
                end=cleaned["end"],
                reason=cleaned.get("reason", ""),
                today=timezone.localdate(),
                start_unchanged=instance.pk is not None and cleaned["start"] == instance.start,
            )
            if instance.pk and instance.status in (ClosureStatus.QUEUED, ClosureStatus.RUNNING):
                raise ClosureError(CLOSURE_RUNNING)
            other = closures.closure_overlapping(
                service=service,
                prestation_ids=[p.pk for p in prestations],
                start=cleaned["start"],
                end=cleaned["end"],
                exclude_pk=instance.pk,
            )
            closures._refuse_overlap(other)
        except ClosureError as error:
            raise forms.ValidationError(error.message) from error
        if cleaned.get("confirmed") != self.fingerprint():
            self.preview = closure_preview(
                service=service,
                prestation_ids=[p.pk for p in prestations],
                start=cleaned["start"],
                end=cleaned["end"],
            )
            self.data = self.data.copy()
            self.data["confirmed"] = self.fingerprint()
            raise forms.ValidationError(CONFIRM, code="confirm")
        return cleaned


@admin.register(Closure, site=tenant_admin_site)
class ClosureAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    form = ClosureForm
    list_display = ["period", "service", "scope", "reason", "outcome"]
    list_filter = ["service", "status"]
    search_fields = ["reason", "service__name", "prestations__name"]
    date_hierarchy = "start"
    list_select_related = ["service"]
    actions = None  # one at a time: deleting one tells what it cannot restore
    readonly_fields = ["progress", "news_post_link", "created_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prestations")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "service":
            # A closure is not the place to create, change or delete a service.
            widget = formfield.widget
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = widget.can_view_related = False
        return formfield

    def get_fieldsets(self, request, obj=None):
        fields = ["service", "prestations", "start", "end", "reason"]
        if obj is None:
            return [(None, {"fields": [*fields, "publish_news", "confirmed"]})]
        return [
            (None, {"fields": [*fields, "confirmed"]}),
            ("Application", {"fields": ["progress", "news_post_link", "created_by", "created_at"]}),
        ]

    # Closing cancels bookings: the capability to decide them, not only the model's rights.

    def _decides(self, request) -> bool:
        return request.user.has_perm(closures.DECIDE)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._decides(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._decides(request)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status in (ClosureStatus.QUEUED, ClosureStatus.RUNNING):
            return False
        return super().has_delete_permission(request, obj) and self._decides(request)

    # Columns

    @admin.display(description="période", ordering="start")
    def period(self, obj):
        return obj.period_label

    @admin.display(description="fermé")
    def scope(self, obj):
        return closures.scope_label(obj.prestations.all())

    @admin.display(description="effet")
    def outcome(self, obj):
        if obj.status == ClosureStatus.DONE:
            n = obj.bookings_done
            return f"{n} réservation{'s' if n > 1 else ''} annulée{'s' if n > 1 else ''}"
        return obj.get_status_display()

    @admin.display(description="application")
    def progress(self, obj):
        from django.template.loader import render_to_string

        return render_to_string("admin/reservations/closure/_progress.html", {"closure": obj})

    @admin.display(description="actualité publiée")
    def news_post_link(self, obj):
        if obj.news_post_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:news_post_change", args=[obj.news_post_id]),
            obj.news_post,
        )

    # The two steps

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if form.preview is not None:
            # The confirmation is asked by a form « error » that is not one: no red banner.
            context["errors"] = []
            context["closure_preview"] = form.preview
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ClosureError as error:
            # Another closure was saved between the confirmation page and this one.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        values = {
            "prestations": list(data.get("prestations") or []),
            "start": data["start"],
            "end": data["end"],
            "reason": data["reason"],
            "user": request.user,
        }
        if change:
            saved = closures.closure_update(closure=obj, **values)
        else:
            saved = closures.closure_create(
                service=data["service"], publish_news=data.get("publish_news", False), **values
            )
        obj.pk, obj.revision, obj.status = saved.pk, saved.revision, saved.status

    def save_related(self, request, form, formsets, change):
        """The prestations were saved by the service."""

    def get_readonly_fields(self, request, obj=None):
        # The service of a closure stays: its bookings were cancelled there.
        return [*self.readonly_fields, "service"] if obj else self.readonly_fields

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, "Fermeture enregistrée : son application est suivie ici.")
        return HttpResponseRedirect(reverse("admin:reservations_closure_change", args=[obj.pk]))

    def response_change(self, request, obj):
        self.message_user(request, "Fermeture modifiée : son application est suivie ici.")
        return HttpResponseRedirect(reverse("admin:reservations_closure_change", args=[obj.pk]))

    # Undo

    def get_deleted_objects(self, objs, request):
        # The prestations' links go with it; nothing else is deleted (bookings stay).
        return [str(obj) for obj in objs], {}, set(), []

    def delete_view(self, request, object_id, extra_context=None):
        closure = self.get_object(request, object_id)
        if closure is not None:
            extra_context = {
                **(extra_context or {}),
                "undo_warning": undo_warning(closure.bookings_done),
                "news_post": closure.news_post if closure.news_post_id else None,
            }
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        closures.closure_delete(closure=obj, user=request.user)

    # Progress, polled while the job runs

    def get_urls(self):
        return [
            path(
                "<int:pk>/progression/",
                self.admin_site.admin_view(self.progress_view),
                name="reservations_closure_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        closure = get_object_or_404(Closure, pk=pk)
        return render(request, "admin/reservations/closure/_progress.html", {"closure": closure})
