"""The staff's side of « Mes demandes »: the requests to answer, and declared absences.

Who may do what is a capability (tenants.rules), not only a model permission: answering,
assigning and closing need requests_inbox.answer, deciding an absence (which cancels
bookings) requests_inbox.decide_absence. What is written about an absence is health data:
roles without families.view_health read « (donnée de santé masquée) » instead.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.html import format_html

from portal.admin_sites import tenant_admin_site
from portal.search import ForgivingSearchMixin
from requests_inbox import selectors, services
from requests_inbox.exceptions import RequestsError
from requests_inbox.forms import Decision, ThreadAdminForm
from requests_inbox.models import Absence, AbsenceStatus, Thread

NOT_ADDED_HERE = "Les demandes sont ouvertes par les familles depuis « Mes demandes »."
ANSWER = "requests_inbox.answer"
DECIDE_ABSENCE = "requests_inbox.decide_absence"
VIEW_HEALTH = "families.view_health"


def _with_health_flag(obj, request):
    """Mark ``obj`` with whether this request's user may read its health data.

    Display methods receive the object only; the flag rides on the instance loaded for this
    request. Unmarked objects are masked.
    """
    if obj is not None:
        obj.health_shown = request.user.has_perm(VIEW_HEALTH)
    return obj


def _health_shown(obj) -> bool:
    return getattr(obj, "health_shown", False)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def _day(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


class AssignedFilter(admin.SimpleListFilter):
    """Assignee among this collectivité's staff only (accounts are shared by all of them)."""

    title = "attribuée à"
    parameter_name = "attribuee"

    def lookups(self, request, model_admin):
        staff = [(str(u.pk), u.get_full_name()) for u in selectors.staff_accounts()]
        return [("moi", "Moi"), ("personne", "Personne"), *staff]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "moi":
            return queryset.filter(assigned_to=request.user)
        if value == "personne":
            return queryset.filter(assigned_to__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assigned_to_id=int(value))
        return queryset


class UnreadFilter(admin.SimpleListFilter):
    title = "lecture"
    parameter_name = "lecture"

    def lookups(self, request, model_admin):
        return [("non_lues", "Messages non lus"), ("lues", "Tout est lu")]

    def queryset(self, request, queryset):
        if self.value() == "non_lues":
            return queryset.filter(staff_unread__gt=0)
        if self.value() == "lues":
            return queryset.filter(staff_unread=0)
        return queryset


@admin.register(Thread, site=tenant_admin_site)
class ThreadAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    # The changelist is one query whatever the rows: the unread count is an aggregate of the
    # same statement, the foyer and the assignee are joins.
    form = ThreadAdminForm
    list_display = [
        "subject",
        "unread",
        "foyer",
        "category",
        "status",
        "assigned_to",
        "last_message_at",
    ]
    list_filter = ["status", "category", AssignedFilter, UnreadFilter]
    # Message text too: « the e-mail about the trip » is found by what it said.
    search_fields = ["subject", "foyer__name", "foyer__email", "messages__body"]
    phone_search_fields = ("foyer__responsables__phone",)
    list_select_related = ["foyer", "assigned_to"]
    readonly_fields = [
        "foyer",
        "category",
        "subject",
        "created_at",
        "absence_summary",
        "conversation",
    ]
    actions = ["assign_to_me", "close"]

    def get_queryset(self, request):
        # « non lus » are this staff member's own (ThreadRead), not the mairie's as a whole.
        return selectors.threads_unread_for(super().get_queryset(request), user=request.user)

    def get_object(self, request, object_id, from_field=None):
        return _with_health_flag(super().get_object(request, object_id, from_field), request)

    def has_answer_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(ANSWER) and self.has_change_permission(request, obj)

    def has_add_permission(self, request):
        return False

    # A thread is the record of what was said to a family, with its files: never deleted here.
    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = selectors.staff_accounts()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [("Demande", {"fields": ["foyer", "category", "subject", "created_at"]})]
        absence = selectors.thread_absence(thread=obj) if obj else None
        can_answer = self.has_answer_permission(request, obj)
        if absence:
            fields = ["absence_summary"]
            can_decide = request.user.has_perm(DECIDE_ABSENCE) and can_answer
            if can_decide and absence.status == AbsenceStatus.PENDING:
                fields.append("absence_decision")
            fieldsets.append(("Absence déclarée", {"fields": fields}))
        fieldsets.append(("Messages", {"fields": ["conversation"]}))
        if can_answer:
            fieldsets.append(
                ("Répondre", {"fields": ["reply", "reply_attachment", "status", "assigned_to"]})
            )
        else:
            fieldsets.append(("Suivi", {"fields": ["status", "assigned_to"]}))
        return fieldsets

    @admin.display(description="non lus", ordering="staff_unread")
    def unread(self, thread):
        if not thread.staff_unread:
            return "—"
        return format_html("<strong>{}</strong>", _plural(thread.staff_unread, "non lu"))

    @admin.display(description="absence")
    def absence_summary(self, thread):
        absence = selectors.thread_absence(thread=thread)
        if absence is None:
            return "—"
        return format_html(
            "{} {}, du {} au {} — <strong>{}</strong>{}",
            absence.child.first_name,
            absence.child.last_name,
            _day(absence.start),
            _day(absence.end),
            absence.get_status_display(),
            f" le {_day(absence.decided_at)}" if absence.decided_at else "",
        )

    @admin.display(description="messages")
    def conversation(self, thread):
        rows = selectors.thread_messages(thread=thread)
        unread = selectors.unread_message_ids(
            messages=rows, by_staff=True, read_mark=getattr(thread, "my_read_at", None)
        )
        masked = selectors.holds_health_data(thread) and not _health_shown(thread)
        return render_to_string(
            "admin/requests_inbox/thread/conversation.html",
            {
                "messages": rows,
                "unread_ids": unread,
                "masked": masked,
                "health_masked": selectors.HEALTH_MASKED,
            },
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Opening a thread reads it for the staff who answer; the page still marks what was
        # new. A reader (the régisseur) leaves it unread for them.
        if obj is not None and request.method == "GET" and self.has_answer_permission(request, obj):
            services.thread_mark_read(
                thread=obj, by_staff=True, upto=obj.last_message_at, user=request.user
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        services.thread_staff_save(thread=obj, changed=form.changed_data)
        status = obj.status if "status" in form.changed_data else None
        absence = selectors.thread_absence(thread=obj)
        decision = data.get("absence_decision")
        if not self.has_answer_permission(request, obj):
            return
        try:
            if decision and absence is not None and request.user.has_perm(DECIDE_ABSENCE):
                services.absence_decide(
                    absence=absence,
                    accept=decision == Decision.ACCEPT,
                    user=request.user,
                    body=data["reply"],
                    attachment=data["reply_attachment"],
                    status=status,
                )
            elif data["reply"]:
                services.message_post(
                    thread=obj,
                    body=data["reply"],
                    attachment=data["reply_attachment"],
                    user=request.user,
                    from_staff=True,
                    status=status,
                )
        except RequestsError as error:
            messages.error(request, error.message)

    @admin.action(description="M'attribuer les demandes sélectionnées", permissions=["answer"])
    def assign_to_me(self, request, queryset):
        count = services.threads_assign(threads=queryset, user=request.user)
        self.message_user(request, f"Demandes qui vous sont attribuées : {count}.")

    @admin.action(description="Clore les demandes sélectionnées", permissions=["answer"])
    def close(self, request, queryset):
        count = services.threads_close(threads=queryset)
        self.message_user(request, f"Demandes closes : {count}.")


@admin.register(Absence, site=tenant_admin_site)
class AbsenceAdmin(ForgivingSearchMixin, admin.ModelAdmin):
    list_display = ["child", "start", "end", "status", "decided_at", "thread"]
    list_filter = ["status"]
    search_fields = ["child__last_name", "child__first_name", "thread__foyer__name"]
    date_hierarchy = "start"
    list_select_related = ["child", "thread"]
    fields = [
        "thread",
        "child",
        "start",
        "end",
        "motif_shown",
        "status",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["accept", "refuse"]

    def get_object(self, request, object_id, from_field=None):
        return _with_health_flag(super().get_object(request, object_id, from_field), request)

    @admin.display(description="motif")
    def motif_shown(self, absence):
        return absence.motif if _health_shown(absence) else selectors.HEALTH_MASKED

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_absence_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(DECIDE_ABSENCE) and self.has_change_permission(request, obj)

    def _decide(self, request, queryset, *, accept: bool) -> None:
        done = 0
        for absence in queryset:
            try:
                services.absence_decide(absence=absence, accept=accept, user=request.user)
            except RequestsError as error:
                messages.warning(request, f"{absence} : {error.message}")
            else:
                done += 1
        if done:
            verb = "acceptée" if accept else "refusée"
            self.message_user(
                request,
                f"{_plural(done, 'absence')} {verb}{'s' if done > 1 else ''} ; "
                "les familles sont prévenues dans leur demande.",
                messages.SUCCESS,
            )

    @admin.action(
        description="Accepter les absences sélectionnées (annule leurs réservations)",
        permissions=["decide_absence"],
    )
    def accept(self, request, queryset):
        self._decide(request, queryset, accept=True)

    @admin.action(description="Refuser les absences sélectionnées", permissions=["decide_absence"])
    def refuse(self, request, queryset):
        self._decide(request, queryset, accept=False)
