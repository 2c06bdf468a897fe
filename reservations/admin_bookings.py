"""The staff's side of bookings: search them, book for a family, accept, refuse, cancel.

Nobody deletes a booking or its history here (nor anywhere: the database refuses it, see
migration 0002): staff cancel, with a motive, and the family is told. Every change goes
through reservations.services.staff, hence reservations.lifecycle, and needs the capability
reservations.decide (tenants.rules).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone

from portal.admin_filters import ValuesFilter
from portal.admin_sites import tenant_admin_site
from portal.search import ForgivingSearchMixin
from reservations import lifecycle, policy
from reservations.exceptions import ReservationsError
from reservations.lifecycle import State
from reservations.models import Booking, BookingEvent
from reservations.services import staff
from reservations.services.places import places_count
from reservations.services.records import overlap_error, route_of, slot_clash

# What was booked and what became of it: shown, never typed once the booking exists.
HISTORY_FIELDS = ["child", "prestation", "day", "state", "state_reason", "held_until"]
MOTIVE_REQUIRED = "Indiquez le motif du refus : il est envoyé à la famille."
UNCHANGED = ""


class BookingAdminForm(forms.ModelForm):
    """A booking typed by staff, or the move staff choose for an existing one."""

    new_state = forms.ChoiceField(label="Changer l'état", required=False)
    override = forms.BooleanField(
        label="Passer outre le délai ou la capacité",
        required=False,
        help_text=(
            "Les jours de fermeture et ceux où la prestation n'a pas lieu restent refusés. "
            "Le motif est alors obligatoire et gardé dans l'historique."
        ),
    )
    note = forms.CharField(
        label="Motif",
        required=False,
        max_length=200,
        help_text="Envoyé à la famille avec la décision (obligatoire pour un refus).",
    )

    class Meta:
        model = Booking
        fields = ["child", "prestation", "day"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        booking = self.instance
        if booking.pk:
            moves = lifecycle.staff_moves(State(booking.state), route_of(booking.prestation))
            self.fields["new_state"].choices = [
                (UNCHANGED, "— inchangé —"),
                *((str(state), state.label) for state in moves),
            ]
            del self.fields["override"]
        else:
            del self.fields["new_state"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            child, prestation, day = (cleaned.get(k) for k in ("child", "prestation", "day"))
            if child and prestation and day:
                clash = slot_clash(child_id=child.pk, prestation=prestation, day=day)
                if clash is not None:
                    raise forms.ValidationError(overlap_error(prestation, clash).message)
                # The parents' rules, as the service will apply them under the day's lock.
                now = timezone.now()
                check = policy.staff_check(prestation=prestation, day=day, now=now)
                capacity, taken = places_count([(prestation.pk, day)], now)
                key = (prestation.pk, day)
                try:
                    staff.staff_override_note(
                        check=check,
                        full=taken[key] >= capacity[key],
                        override=cleaned.get("override", False),
                        note=cleaned.get("note", ""),
                    )
                except ReservationsError as error:
                    raise forms.ValidationError(error.message) from error
        elif cleaned.get("new_state") == State.REFUSED and not cleaned.get("note"):
            self.add_error("note", MOTIVE_REQUIRED)
        return cleaned


class MotiveForm(forms.Form):
    motif = forms.CharField(label="Motif", max_length=255, required=False, widget=forms.Textarea)

    def __init__(self, *args, required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["motif"].required = required
        if required:
            self.fields["motif"].error_messages["required"] = MOTIVE_REQUIRED


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["at", "state", "reason", "by_user", "by_staff", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Booking, site=tenant_admin_site)
class BookingAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    form = BookingAdminForm
    list_display = ["day", "prestation", "child", "state", "state_reason", "updated_at"]
    list_filter = [
        "state",
        "state_reason",
        "prestation__service",
        "prestation",
        ("child__school", ValuesFilter),
        ("child__classe", ValuesFilter),
    ]
    search_fields = [
        "child__last_name",
        "child__first_name",
        "child__foyer__name",
        "prestation__name",
        "prestation__service__name",
    ]
    phone_search_fields = ("child__foyer__responsables__phone",)
    date_hierarchy = "day"
    list_select_related = ["prestation__service", "child"]
    autocomplete_fields = ["child"]
    inlines = [BookingEventInline]
    actions = ["accept", "refuse", "cancel"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new booking has no history yet

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["child", "prestation", "day", "override", "note"]
        return [
            "child",
            "prestation",
            "day",
            "state",
            "state_reason",
            "held_until",
            "new_state",
            "note",
            "created_at",
            "updated_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*HISTORY_FIELDS, "created_at", "updated_at"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ReservationsError as error:
            # The day filled up (or closed) between the form's check and the booking.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_decide_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(staff.DECIDE)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self.has_decide_permission(request)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and self.has_decide_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = staff.booking_staff_create(
                child=data["child"],
                prestation=data["prestation"],
                day=data["day"],
                user=request.user,
                note=data["note"],
                override=data.get("override", False),
            )
            obj.pk, obj.state, obj.state_reason = created.pk, created.state, created.state_reason
            obj.held_until, obj.created_at = created.held_until, created.created_at
            return
        if data.get("new_state"):
            try:
                staff.booking_staff_change(
                    booking=obj,
                    state=data["new_state"],
                    user=request.user,
                    note=data["note"],
                )
            except ReservationsError as error:
                self.message_user(request, error.message, messages.ERROR)

    # Actions: each goes through services.staff; refusing and cancelling ask for a motive.

    def _with_motive(
        self, request, queryset, *, action: str, title: str, done: str, required: bool, apply
    ):
        form = MotiveForm(request.POST if "confirmer" in request.POST else None, required=required)
        if form.is_bound and form.is_valid():
            try:
                count = apply(queryset, form.cleaned_data["motif"])
            except ReservationsError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, f"{done} : {count} ; les familles sont prévenues.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "bookings": queryset.select_related("child", "prestation"),
            "action": action,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/reservations/booking/motive.html", context)

    @admin.action(
        description="Accepter les demandes en attente sélectionnées", permissions=["decide"]
    )
    def accept(self, request, queryset):
        try:
            count = staff.bookings_decide(bookings=queryset, accept=True, user=request.user)
        except ReservationsError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(request, f"{count} demande(s) acceptée(s) ; les familles sont prévenues.")

    @admin.action(
        description="Refuser les demandes en attente sélectionnées (avec un motif)",
        permissions=["decide"],
    )
    def refuse(self, request, queryset):
        return self._with_motive(
            request,
            queryset,
            action="refuse",
            title="Refuser des demandes",
            done="Demandes refusées",
            required=True,
            apply=lambda bookings, note: staff.bookings_decide(
                bookings=bookings, accept=False, user=request.user, note=note
            ),
        )

    @admin.action(
        description="Annuler les réservations sélectionnées (par la mairie)",
        permissions=["decide"],
    )
    def cancel(self, request, queryset):
        return self._with_motive(
            request,
            queryset,
            action="cancel",
            title="Annuler des réservations",
            done="Réservations annulées",
            required=False,
            apply=lambda bookings, note: staff.bookings_staff_cancel(
                bookings=bookings, user=request.user, note=note
            ),
        )
