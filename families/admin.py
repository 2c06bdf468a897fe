"""The collectivité's admin of foyers and children: lists, health data, QF, adhesion, import."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from import_export.admin import ImportMixin
from import_export.forms import ImportForm
from import_export.tmp_storages import CacheStorage

from families.exceptions import FamiliesError, FoyerHasNoEmail
from families.import_limits import ImportRefused, check_size
from families.models import Child, Foyer, ImportJob, ImportStatus, QuotientFamilial, Responsable
from families.resources import BoundedXLSX, ChildResource, FrenchCSV
from families.services import adhesion_code_send
from families.services_import import import_job_start, import_progress
from families.timeline import timeline_page
from portal.admin_filters import ValuesFilter
from portal.admin_sites import tenant_admin_site
from portal.search import ForgivingSearchMixin
from portal.spreadsheets import csv_response

HEALTH_FIELDS = ("allergies", "pai")
ACCOUNT_ACTIVE = "Compte activé"
ACCOUNT_PENDING = "En attente d'activation"
QUOTIENTS_OVERLAP_IN_FORM = (
    "Deux quotients familiaux saisis ici couvrent une même période : une seule période à la "
    "fois par foyer."
)
IMPORT_REFUSED = (
    "Le fichier contient des erreurs : rien n'a été importé. Corrigez-le puis recommencez."
)
IMPORT_UNREADABLE = (
    "Le fichier n'a pas pu être lu : vérifiez que le format choisi (CSV ou XLSX) est le bon."
)


class BoundedImportForm(ImportForm):
    """The upload refused above the size limit before it is stored or read."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            check_size(upload.size)
        except ImportRefused as error:
            raise ValidationError(error.message) from error
        return upload


def can_view_health(request) -> bool:
    return request.user.has_perm("families.view_health")


def _without_health(fields):
    return [field for field in fields if field not in HEALTH_FIELDS]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


class TimelineMixin:
    """The history of a child or a foyer (families.timeline): its latest entries under the
    form, all of them, page by page, behind « Historique »."""

    timeline_on_form = 10

    def _timeline_of(self, obj) -> tuple[Foyer | None, Child | None]:
        """The (foyer, child) the history is read for: a child's own, or its foyer's."""
        return (None, obj) if isinstance(obj, Child) else (obj, None)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            foyer, child = self._timeline_of(obj)
            context["timeline"] = timeline_page(
                foyer=foyer, child=child, per_page=self.timeline_on_form
            )
            context["timeline_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk]
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        foyer, child = self._timeline_of(obj)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Historique de {obj}",
            "opts": self.opts,
            "object": obj,
            "timeline": timeline_page(foyer=foyer, child=child, page=request.GET.get("p", 1)),
            "timeline_url": request.path,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/families/timeline.html", context)


class ImportFileStorage(CacheStorage):
    """Keep an uploaded file between its preview and its confirmation, in the shared cache.

    Every web process sees it (a temporary folder is one machine's), and it expires: the
    file holds children's personal data, and an abandoned preview must not keep it.
    """

    CACHE_LIFETIME = 3600


class ResponsableInline(admin.StackedInline):
    model = Responsable
    extra = 0
    max_num = 2


class ChildInline(admin.TabularInline):
    model = Child
    extra = 0
    fields = [
        "last_name",
        "first_name",
        "birth_date",
        "sexe",
        "school",
        "classe",
        "regime",
        "allergies",
        "pai",
    ]
    show_change_link = True

    # Health data is left out of the form, not shown read-only: a role without
    # families.view_health must neither read it nor be able to post it.
    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if can_view_health(request) else _without_health(fields)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if can_view_health(request) else [*exclude, *HEALTH_FIELDS]


def _periods_overlap(first: tuple, second: tuple) -> bool:
    (start_a, end_a), (start_b, end_b) = first, second
    return (end_b is None or start_a <= end_b) and (end_a is None or start_b <= end_a)


class QuotientFamilialFormSet(BaseInlineFormSet):
    """Refuse two overlapping periods typed in the same submission.

    The model's clean() compares each period with the rows already saved; two new rows, or
    a changed row and a new one, only meet here.
    """

    def clean(self):
        super().clean()
        periods = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or form.errors or data.get("DELETE") or not form.has_changed():
                continue
            if data.get("valid_from"):
                periods.append((data["valid_from"], data.get("valid_to")))
        for index, period in enumerate(periods):
            if any(_periods_overlap(period, other) for other in periods[index + 1 :]):
                raise ValidationError(QUOTIENTS_OVERLAP_IN_FORM)


class QuotientFamilialInline(admin.TabularInline):
    model = QuotientFamilial
    formset = QuotientFamilialFormSet
    extra = 0
    fields = ["value", "source", "valid_from", "valid_to", "set_by", "created_at"]
    # Who set a QF is recorded by FoyerAdmin.save_formset, never typed.
    readonly_fields = ["set_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("set_by")


class AccountStatusFilter(admin.SimpleListFilter):
    title = "statut du compte"
    parameter_name = "compte"

    def lookups(self, request, model_admin):
        return [("active", ACCOUNT_ACTIVE), ("attente", ACCOUNT_PENDING)]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(user__isnull=False)
        if self.value() == "attente":
            return queryset.filter(user__isnull=True)
        return queryset


@admin.register(Foyer, site=tenant_admin_site)
class FoyerAdmin(TimelineMixin, ForgivingSearchMixin, ImportMixin, admin.ModelAdmin):
    # Changelist queries do not grow with the rows: the children count is an annotation
    # and the account status reads foyer.user_id, never the account itself.
    list_display = ["name", "email", "account_status", "children_count"]
    search_fields = [
        "name",
        "email",
        "responsables__last_name",
        "responsables__first_name",
        "responsables__email",
        "children__last_name",
        "children__first_name",
    ]
    phone_search_fields = ("responsables__phone", "responsables__phone_secondary")
    # Searches and filters across children or responsables may match a foyer several times:
    # Django's changelist then applies distinct() (lookup_spawns_duplicates).
    list_filter = [
        ("children__school", ValuesFilter),
        ("children__classe", ValuesFilter),
        AccountStatusFilter,
    ]
    fields = ["name", "email", "user", "created_at", "left_on", "anonymised_at"]
    readonly_fields = ["user", "created_at", "anonymised_at"]
    inlines = [ResponsableInline, ChildInline, QuotientFamilialInline]
    actions = ["send_adhesion"]

    resource_classes = [ChildResource]
    import_formats = [FrenchCSV, BoundedXLSX]
    import_form_class = BoundedImportForm
    import_template_name = "admin/families/foyer/import.html"
    tmp_storage_class = ImportFileStorage

    def get_queryset(self, request):
        # distinct=True: a search on children joins them a second time.
        return (
            super().get_queryset(request).annotate(children_count=Count("children", distinct=True))
        )

    @admin.display(description="compte")
    def account_status(self, foyer):
        return ACCOUNT_ACTIVE if foyer.user_id else ACCOUNT_PENDING

    @admin.display(description="enfants", ordering="children_count")
    def children_count(self, foyer):
        return foyer.children_count

    def save_formset(self, request, form, formset, change):
        if formset.model is not QuotientFamilial:
            return super().save_formset(request, form, formset, change)
        for quotient in formset.save(commit=False):
            quotient.set_by = request.user
            quotient.save()
        for quotient in formset.deleted_objects:
            quotient.delete()
        formset.save_m2m()

    # Adhesion e-mail: a bulk action on the list and a button on the foyer's page.

    def has_send_adhesion_permission(self, request, obj=None):
        return request.user.has_perm("families.send_adhesion")

    @admin.action(description="Envoyer l'adhésion à un service", permissions=["send_adhesion"])
    def send_adhesion(self, request, queryset):
        self._adhesion_send(request, queryset)

    def _adhesion_send(self, request, foyers) -> None:
        sent = 0
        for foyer in foyers:
            try:
                adhesion_code_send(foyer=foyer, sent_by=request.user)
            except FoyerHasNoEmail as error:
                messages.warning(request, f"{foyer.name} : {error.message}")
            else:
                sent += 1
        if sent:
            messages.success(request, f"Adhésion envoyée à {_plural(sent, 'foyer')}.")

    def adhesion_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_send_adhesion_permission(request):
            raise PermissionDenied
        foyer = self.get_object(request, unquote(object_id))
        if foyer is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        self._adhesion_send(request, [foyer])
        return HttpResponseRedirect(
            reverse(
                "admin:families_foyer_change", args=[foyer.pk], current_app=self.admin_site.name
            )
        )

    def get_urls(self):
        # Before the default URLs: their "<path:object_id>/" would swallow these.
        return [
            path(
                "import/<int:job_id>/",
                self.admin_site.admin_view(self.import_job_view),
                name="families_foyer_import_job",
            ),
            path(
                "<path:object_id>/adhesion/",
                self.admin_site.admin_view(self.adhesion_view),
                name="families_foyer_adhesion",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_send_adhesion": self.has_send_adhesion_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # Import of foyers and children (django-import-export: dry run, preview, confirm).

    def has_import_permission(self, request):
        return request.user.has_perm("families.import_foyers")

    def add_data_read_fail_error_to_form(self, form, e):
        # The limits' own words (size, rows, expanded XLSX); otherwise a French hint.
        message = e.message if isinstance(e, FamiliesError) else IMPORT_UNREADABLE
        form.add_error("import_file", message)

    def process_import(self, request, **kwargs):
        """Confirmed: hand the import to a worker and show its progress (no long request)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return super().process_import(request, **kwargs)
        data = confirm_form.cleaned_data
        job = import_job_start(
            file_name=data.get("original_file_name") or data["import_file_name"],
            storage_name=data["import_file_name"],
            format_index=int(data["format"]),
            user=request.user,
        )
        return HttpResponseRedirect(
            reverse(
                "admin:families_foyer_import_job", args=[job.pk], current_app=self.admin_site.name
            )
        )

    def import_job_view(self, request, job_id: int):
        """The import's progress; once done, the usual message, or the rows that failed."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            raise Http404("Cet import n'existe pas.")
        if job.status == ImportStatus.DONE:
            summary = job.summary
            messages.success(
                request,
                f"Import terminé : {_plural(summary.get('foyers', 0), 'foyer')} créé(s), "
                f"{_plural(summary.get('new', 0), 'enfant')} ajouté(s), "
                f"{_plural(summary.get('update', 0), 'enfant')} mis à jour.",
            )
            return HttpResponseRedirect(
                reverse("admin:families_foyer_changelist", current_app=self.admin_site.name)
            )
        if job.status == ImportStatus.FAILED:
            messages.error(request, IMPORT_REFUSED)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import des foyers",
            "opts": self.opts,
            "job": job,
            "done_rows": import_progress(job=job),
            "running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/families/foyer/import_job.html", context)

    def get_import_data_kwargs(self, **kwargs):
        # The confirm step re-reads the file: if a row fails there (the file changed, or
        # the data did since the preview), nothing of the file is kept.
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs


@admin.register(Child, site=tenant_admin_site)
class ChildAdmin(TimelineMixin, ForgivingSearchMixin, admin.ModelAdmin):
    # Readable at 1 366 px: the name and the school in one column each, PAI and foyer kept.
    list_display = ["name", "birth_date_display", "school_classe", "regime", "foyer_link"]
    list_filter = [("school", ValuesFilter), ("classe", ValuesFilter), "regime", "sexe"]
    search_fields = ["last_name", "first_name", "foyer__name", "foyer__email", "school", "classe"]
    phone_search_fields = ("foyer__responsables__phone", "foyer__responsables__phone_secondary")
    list_select_related = ["foyer"]
    autocomplete_fields = ["foyer"]
    fieldsets = [
        (None, {"fields": ["foyer", "last_name", "first_name", "birth_date", "sexe"]}),
        ("Scolarité et repas", {"fields": ["school", "classe", "regime"]}),
        ("Santé", {"fields": list(HEALTH_FIELDS)}),
    ]

    actions = ["export_csv"]

    @admin.action(description="Exporter la liste (CSV)", permissions=["view"])
    def export_csv(self, request, queryset):
        """The selected children as a spreadsheet; names typed by parents are made inert."""
        rows = (
            (
                child.last_name,
                child.first_name,
                child.birth_date.strftime("%d/%m/%Y"),
                child.school,
                child.classe,
                child.get_regime_display(),
                child.foyer.name,
            )
            for child in queryset.select_related("foyer").order_by("last_name", "first_name")
        )
        return csv_response(
            "enfants.csv",
            ["Nom", "Prénom", "Date de naissance", "École", "Classe", "Régime", "Foyer"],
            rows,
        )

    @admin.display(description="date de naissance", ordering="birth_date")
    def birth_date_display(self, child):
        # The French DATE_FORMAT spells the month out; the short one reads JJ/MM/AAAA.
        return date_format(child.birth_date, "SHORT_DATE_FORMAT")

    @admin.display(description="enfant", ordering="last_name")
    def name(self, child):
        return f"{child.last_name} {child.first_name}"

    @admin.display(description="école / classe", ordering="school")
    def school_classe(self, child):
        return " — ".join(part for part in (child.school, child.classe) if part) or "—"

    @admin.display(description="foyer", ordering="foyer__name")
    def foyer_link(self, child):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:families_foyer_change", args=[child.foyer_id]),
            child.foyer.name,
        )

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not can_view_health(request):
            return columns
        return [*columns[:-1], "pai", columns[-1]]

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return [*filters, "pai"] if can_view_health(request) else filters

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if can_view_health(request):
            return fieldsets
        return [
            (name, {**options, "fields": _without_health(options["fields"])})
            for name, options in fieldsets
            if _without_health(options["fields"])
        ]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if can_view_health(request) else [*exclude, *HEALTH_FIELDS]

    def lookup_allowed(self, lookup, value, request=None):
        # Filtering by URL (?pai__exact=1, ?allergies__icontains=…) would tell which
        # children have health needs to those who may not read them.
        if lookup.split("__")[0] in HEALTH_FIELDS and not (
            request is not None and can_view_health(request)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)
