"""The pointage page of the collectivité's admin: one prestation and day, a tap per child.

Every tap is saved at once by ``mark_view`` (JSON for the page's script, a redirect without
JavaScript); the page works on a phone or a tablet (static/css/pointage.css).
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.exceptions import BillingError
from billing.models import Attendance, AttendanceMark, AttendanceStatus, AttendanceUnlock
from billing.selectors import pointage_sheet
from billing.services.attendance import (
    attendance_mark,
    attendance_unlock,
    attendance_unlock_refusal,
)
from families.models import Child
from portal.admin_sites import tenant_admin_site
from portal.forms import DatePicker
from portal.search import ForgivingSearchMixin
from reservations.models import Prestation

BAD_MARK = "Pointage incomplet : enfant, prestation, jour et état sont attendus."
SAVED = "{child} : {status}."


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return default


def _step(prestation: Prestation, day: date, direction: int) -> date:
    """The previous or next day the prestation runs (never a weekend)."""
    weekdays = set(prestation.weekdays) or {1, 2, 3, 4, 5}
    for _ in range(14):
        day += timedelta(days=direction)
        if day.isoweekday() in weekdays:
            return day
    return day


class AttendanceMarkInline(admin.TabularInline):
    model = AttendanceMark
    fields = ["status", "by_user", "note", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attendance, site=tenant_admin_site)
class AttendanceAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    list_display = ["day", "prestation", "child", "status", "booking", "marked_at"]
    list_filter = ["status", "prestation__service", "prestation"]
    search_fields = ["child__last_name", "child__first_name"]
    date_hierarchy = "day"
    # The booking column prints its child and prestation: joined too, or two queries a row
    # (160 queries for 100 rows, measured on seed_scale's data).
    list_select_related = ["prestation", "child", "booking__child", "booking__prestation"]
    readonly_fields = ["child", "prestation", "day", "status", "booking", "absence", "marked_at"]
    fields = readonly_fields
    inlines = [AttendanceMarkInline]
    change_list_template = "admin/billing/attendance/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _may_mark(self, request) -> bool:
        return request.user.has_perm("billing.add_attendance")

    def get_urls(self):
        own = [
            path(
                "pointage/",
                self.admin_site.admin_view(self.sheet_view),
                name="billing_attendance_sheet",
            ),
            path(
                "pointer/",
                self.admin_site.admin_view(require_POST(self.mark_view)),
                name="billing_attendance_mark",
            ),
        ]
        return own + super().get_urls()

    def sheet_view(self, request):
        """Who is expected at a prestation on a day, and what staff marked."""
        if not self._may_mark(request):
            raise PermissionDenied
        prestations = list(
            Prestation.objects.select_related("service").order_by(
                "service__display_order", "service__name", "display_order", "name"
            )
        )
        chosen = request.GET.get("prestation", "")
        prestation = next((p for p in prestations if str(p.pk) == chosen), None)
        prestation = prestation or (prestations[0] if prestations else None)
        day = _day(request.GET.get("jour"), timezone.localdate())
        context = {
            **self.admin_site.each_context(request),
            "title": "Pointage",
            "opts": self.model._meta,
            "prestations": prestations,
            "prestation": prestation,
            "day": day,
            "statuses": AttendanceStatus.choices,
        }
        if prestation is not None:
            context.update(
                sheet=pointage_sheet(prestation=prestation, day=day),
                previous=_step(prestation, day, -1),
                next=_step(prestation, day, 1),
            )
        return TemplateResponse(request, "admin/billing/attendance/sheet.html", context)

    def mark_view(self, request):
        """One tap: JSON for the page's script, or back to the sheet without JavaScript."""
        if not self._may_mark(request):
            raise PermissionDenied
        wants_json = "application/json" in request.headers.get("Accept", "")
        try:
            child = get_object_or_404(Child, pk=int(request.POST.get("child", "")))
            prestation = get_object_or_404(
                Prestation.objects.select_related("service"),
                pk=int(request.POST.get("prestation", "")),
            )
            day = date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            if wants_json:
                return JsonResponse({"ok": False, "message": BAD_MARK}, status=400)
            raise PermissionDenied(BAD_MARK) from None
        status = request.POST.get("status", "")
        try:
            attendance_mark(
                child=child, prestation=prestation, day=day, status=status, user=request.user
            )
        except BillingError as error:
            if wants_json:
                return JsonResponse({"ok": False, "message": error.message}, status=409)
            messages.error(request, error.message)
        else:
            text = SAVED.format(
                child=f"{child.first_name} {child.last_name}",
                status=AttendanceStatus(status).label.lower(),
            )
            if wants_json:
                return JsonResponse({"ok": True, "status": status, "message": text})
            messages.success(request, text)
        url = reverse("admin:billing_attendance_sheet")
        return redirect(f"{url}?prestation={prestation.pk}&jour={day:%Y-%m-%d}")


class UnlockForm(forms.ModelForm):
    class Meta:
        model = AttendanceUnlock
        fields = ["service", "period_start", "period_end", "reason"]
        widgets = {
            "period_start": DatePicker(),
            "period_end": DatePicker(),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise forms.ValidationError("La fin de la période précède son début.")
        if start and end and data.get("service"):
            refusal = attendance_unlock_refusal(service=data["service"], start=start, end=end)
            if refusal:
                raise forms.ValidationError(refusal)
        return data


@admin.register(AttendanceUnlock, site=tenant_admin_site)
class AttendanceUnlockAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    """« Rouvrir un pointage facturé »: who, when, why; kept, never changed."""

    form = UnlockForm
    list_display = ["service", "period_start", "period_end", "reason", "by_user", "at"]
    list_filter = ["service"]
    search_fields = ["reason"]
    date_hierarchy = "at"
    list_select_related = ["service"]

    def has_add_permission(self, request):
        # Those who correct invoices by credit notes may reopen what was invoiced.
        return request.user.has_perm("billing.correct")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        unlock = attendance_unlock(
            service=data["service"],
            start=data["period_start"],
            end=data["period_end"],
            reason=data["reason"],
            user=request.user,
        )
        obj.pk, obj.at, obj.by_user = unlock.pk, unlock.at, request.user
