"""Every staff role against every model, action and page of a collectivité's admin.

The models, their custom actions and their custom pages are discovered from the tenant
admin site's registry, so a model registered later (billing's payments) is checked without
editing this file: it takes its app's row of the table unless the table names it. Each
answer is asked twice: from the ModelAdmin (has_view/add/change/delete_permission, the
actions it offers) and over HTTP (the changelist, the add page, an object's change and
delete pages, each action posted, each custom page), and compared with ONE table below.

The table is what a mairie expects (SPEC §4 and §6, the intent of tenants.rules), written
here and not read from the code under test:
- agents run the families, the bookings, the news and the requests, and bill (ordonnateur);
- the régisseur collects money and reads the rest; the comptable reads and exports;
- the administrateur does what agents do, exports, manages the staff and reads the audit;
- nobody deletes a booking, its history, a request or anything billing keeps; invoices,
  credit notes and attendance are never typed in the admin (services write them);
- health data (allergies, PAI, absence motifs) only for roles holding families.view_health.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape

from billing.models import Invoice, InvoiceRun, Tariff
from billing.services.credits import credit_note_issue
from billing.services.runs import invoice_run_execute
from families.models import ImportJob
from news.models import Post
from portal.admin_sites import tenant_admin_site
from requests_inbox import services as requests_services
from reservations.lifecycle import State
from reservations.models import Closure, ClosureStatus, PrestationDay, WaitingListEntry
from tenants.models import Membership, Role
from tests.billing.conftest import book, make_prestation, make_service, mark
from tests.conftest import TEST_COLLECTIVITES
from tests.factories import BookingFactory, ChildFactory, FoyerFactory, MembershipFactory
from tests.requests_inbox.files import minimal_pdf

pytestmark = pytest.mark.django_db

A, R, C, AD = ROLES = ("agent", "regisseur", "comptable", "administrateur")
ACTIONS = {"view": "v", "add": "a", "change": "c", "delete": "d"}


# --- The table ----------------------------------------------------------------------------

READS = {A: "v", R: "v", C: "v", AD: "v"}
MANAGED = {A: "vacd", R: "v", C: "v", AD: "vacd"}
# Per app: what each role may do to a model of it (a missing role: nothing, not even read).
APPS = {
    "families": MANAGED,
    "reservations": MANAGED,
    "news": MANAGED,
    # Requests and absences are answered and decided, never typed by staff, never deleted.
    "requests_inbox": {A: "vc", R: "v", C: "v", AD: "vc"},
    # The ordonnateur side (agents, administrateur) sets tariffs and bills; nobody deletes.
    "billing": {A: "vac", R: "v", C: "v", AD: "vac"},
    "audit": {AD: "v"},
    "tenants": {AD: "vacd"},
}
# Models that differ from their app.
MODELS = {
    # Booked and decided through the lifecycle, never deleted.
    "reservations.booking": {A: "vac", R: "v", C: "v", AD: "vac"},
    # Joined by families when a day is full, served by the lifecycle: staff read the line
    # and may take a child off it; typing or editing an entry would jump the queue.
    "reservations.waitinglistentry": {A: "vd", R: "v", C: "v", AD: "vd"},
    # Written by the invoice run, the credit-note page and the pointage sheet.
    "billing.invoice": READS,
    "billing.creditnote": READS,
    "billing.attendance": READS,
    "billing.invoicerun": {A: "va", R: "v", C: "v", AD: "va"},
    # The régie (issue 11). Money is recorded once and never edited in place (SPEC §6): the
    # régisseur records payments at the counter, mandates and direct-debit runs, and sets
    # the régie's settings (one row, created on first visit); the others read.
    **{
        label: {A: "v", R: "va", C: "v", AD: "v"}
        for label in ("billing.payment", "billing.sepamandate", "billing.debitrun")
    },
    "billing.paymentsettings": {A: "v", R: "vc", C: "v", AD: "v"},
    # Written by the providers' notifications, the orders and the reminders: read only.
    **{
        label: READS
        for label in (
            "billing.paymenttransaction",
            "billing.paymentnotice",
            "billing.accountentry",
            "billing.prepaidorder",
            "billing.reminder",
            "billing.latepayer",
            "billing.collectionsreport",
            "billing.encaissementstatement",
        )
    },
    # Crossing the régie rule is the administrateur's decision, logged; all read it.
    "billing.dutyexception": {A: "v", R: "v", C: "v", AD: "va"},
    # Reopening an invoiced period's pointage is a correction (billing.correct).
    "billing.attendanceunlock": {A: "va", R: "v", C: "v", AD: "va"},
}
CARERS = frozenset({A, AD})  # families.view_health
EXPORTERS = frozenset({R, C, AD})  # billing.export
# Custom actions: (model, action) -> roles that may run it.
CUSTOM_ACTIONS = {
    ("families.foyer", "send_adhesion"): CARERS,
    ("families.child", "export_csv"): frozenset(ROLES),  # no health column in it
    ("news.post", "send_by_email"): CARERS,
    ("requests_inbox.thread", "assign_to_me"): CARERS,
    ("requests_inbox.thread", "close"): CARERS,
    ("requests_inbox.absence", "accept"): CARERS,
    ("requests_inbox.absence", "refuse"): CARERS,
    ("reservations.booking", "accept"): CARERS,
    ("reservations.booking", "refuse"): CARERS,
    ("reservations.booking", "cancel"): CARERS,
    ("billing.invoice", "export_csv"): EXPORTERS,
    ("billing.invoice", "export_xlsx"): EXPORTERS,
    ("audit.auditentry", "export_csv"): frozenset({AD}),
    ("audit.sharedauditentry", "export_csv"): frozenset({AD}),
    ("tenants.membership", "remove_selected"): frozenset({AD}),
    # Closures are deleted one at a time: the page says what cannot be restored.
    ("reservations.closure", "delete_selected"): frozenset(),
    ("billing.paymenttransaction", "ask_providers"): frozenset({R}),
    ("billing.sepamandate", "revoke"): frozenset({R}),
    ("billing.dutyexception", "revoke"): frozenset({AD}),
    # Replaced by « Retirer du personnel », which keeps the last administrateur.
    ("tenants.membership", "delete_selected"): frozenset(),
}
# Custom admin pages, by URL name -> roles that may open (or post to) them.
CUSTOM_PAGES = {
    "reservations_service_day_sheet": frozenset(ROLES),
    "reservations_service_meals": frozenset(ROLES),
    "reservations_closure_progress": frozenset(ROLES),  # how far a closure's cancellations went
    "families_foyer_adhesion": CARERS,
    "families_foyer_import": CARERS,
    "families_foyer_process_import": CARERS,
    "families_foyer_import_job": CARERS,
    # The pointage sheet is the tool that marks; the others read attendance in its list.
    "billing_attendance_sheet": CARERS,
    "billing_attendance_mark": CARERS,
    "billing_invoice_credit": CARERS,
    "billing_invoicerun_progress": frozenset(ROLES),
    # The pain.008 file is read like its run; a bank's rejection is recorded by the régie.
    "billing_debitrun_xml": frozenset(ROLES),
    "billing_debitrun_reject": frozenset({R}),
}
# Exports asked by a page's query string rather than by an action.
QUERY_EXPORTS = {
    "billing.encaissementstatement": (
        {"start": "2026-11-01", "end": "2026-11-30", "format": "csv"},
        EXPORTERS,
    ),
}
STANDARD_PAGES = ("changelist", "add", "history", "delete", "change", "autocomplete")


def expected(label: str, role: str) -> str:
    """Return the letters (v, a, c, d) the table grants ``role`` on model ``label``."""
    row = MODELS.get(label) or APPS.get(label.partition(".")[0], {})
    return row.get(role, "")


def action_holders(label: str, name: str) -> frozenset[str]:
    """Return the roles that may run action ``name`` of model ``label``.

    Unnamed actions follow the model's rights: Django's « delete selected » its delete, an
    export the exporters, anything else its change.
    """
    if (label, name) in CUSTOM_ACTIONS:
        return CUSTOM_ACTIONS[(label, name)]
    letter = "d" if name == "delete_selected" else "c"
    if name.startswith("export"):
        return EXPORTERS
    return frozenset(role for role in ROLES if letter in expected(label, role))


def page_holders(label: str, url_name: str) -> frozenset[str]:
    """Return the roles that may use custom page ``url_name``; unnamed ones need change."""
    if url_name in CUSTOM_PAGES:
        return CUSTOM_PAGES[url_name]
    return frozenset(role for role in ROLES if "c" in expected(label, role))


# --- The collectivité's rows --------------------------------------------------------------

ALLERGY = "ZQALLERGIE-ARACHIDE"
MOTIF = "ZQMOTIF-VARICELLE"


@dataclass
class Scene:
    instances: dict  # model label -> one row of it (a model without rows is checked unbound)


@pytest.fixture
def scene(tenant_a, in_tenant, settings, tmp_path) -> Scene:
    """One row of every model the admin shows, in alpha, built by the services."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    spare = MembershipFactory(collectivite=tenant_a, role=Role.AGENT)
    with in_tenant(tenant_a):
        foyer = FoyerFactory(name="MATRICE", email="matrice@exemple.test")
        child = ChildFactory(foyer=foyer, first_name="Léa", allergies=ALLERGY, pai=True)
        service = make_service("MATRICE - postfacturation")
        cantine = make_prestation(service, "CANTINE")
        Tariff.objects.create(prestation=cantine, valid_from=dt.date(2026, 9, 1), price=3)
        book(child, cantine, 9, 10, 12)
        mark(child, cantine, 10, "present")
        run = InvoiceRun.objects.create(
            service=service, period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 11, 30)
        )
        invoice_run_execute(run=run, today=dt.date(2026, 12, 1))
        invoice = Invoice.objects.get(foyer=foyer)
        credit_note_issue(invoice=invoice, reason="Erreur", user=spare.user)
        pending = BookingFactory(
            child=child, prestation=cantine, day=dt.date(2027, 1, 5), state=State.PENDING_APPROVAL
        )
        waiting = WaitingListEntry.objects.create(
            child=ChildFactory(), prestation=cantine, day=dt.date(2027, 1, 5)
        )
        PrestationDay.objects.create(prestation=cantine, day=dt.date(2027, 1, 5), capacity=1)
        absence = requests_services.absence_declare(
            foyer=foyer,
            child=child,
            start=dt.date(2026, 12, 3),
            end=dt.date(2026, 12, 3),
            motif=MOTIF,
            attachment=SimpleUploadedFile("certificat.pdf", minimal_pdf(), "application/pdf"),
            user=None,
            now=dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC),
        )
        Post.objects.create(title="Matrice", body="Corps")
        Closure.objects.create(
            service=service,
            start=dt.date(2027, 2, 1),
            end=dt.date(2027, 2, 1),
            reason="Grève",
            status=ClosureStatus.DONE,  # applied: staff may edit or delete it
        )
        ImportJob.objects.create(file_name="familles.csv", storage_name="x", format_index=0)
        instances = {
            "reservations.booking": pending,
            "reservations.waitinglistentry": waiting,
            "reservations.service": service,
            "requests_inbox.absence": absence,
            "requests_inbox.thread": absence.thread,
            "families.child": child,
            "families.foyer": foyer,
            "billing.invoice": invoice,
            "tenants.membership": spare,
        }
        for model in tenant_admin_site._registry:
            label = model._meta.label_lower
            if label not in instances:
                row = model._default_manager.order_by("pk").first()
                if row is not None:
                    instances[label] = row
    return Scene(instances=instances)


def staff(role: str, tenant) -> Client:
    """A client logged in as a new staff member of ``tenant`` with ``role``."""
    client = Client(HTTP_HOST=TEST_COLLECTIVITES["alpha"]["domain"])
    client.user = MembershipFactory(collectivite=tenant, role=role).user
    client.force_login(client.user)
    return client


def registry():
    return sorted(tenant_admin_site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


# --- Model rights -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_to_each_model_what_the_table_says(role, scene, tenant_a, in_tenant):
    client = staff(role, tenant_a)
    request = RequestFactory().get("/admin/")
    request.user, request.tenant = client.user, tenant_a
    wrong, checked = [], 0
    for model, model_admin in registry():
        label = model._meta.label_lower
        want = expected(label, role)
        with in_tenant(tenant_a):
            got = "".join(
                letter
                for action, letter in ACTIONS.items()
                if getattr(model_admin, f"has_{action}_permission")(request)
            )
        checked += 4
        if got != want:
            wrong.append((label, "ModelAdmin", got, want))
        # Over HTTP: the list, the add page, one row's change and delete pages.
        listed = client.get(url(model, "changelist"))
        answers = {
            # A changelist may lead to its single row (the régie's settings).
            "v": listed.status_code == 200
            or (listed.status_code == 302 and url(model, "changelist") in listed["Location"]),
            "a": client.get(url(model, "add")).status_code == 200,
        }
        row = scene.instances.get(label)
        if row is not None:
            change = client.get(url(model, "change", row.pk))
            answers["c"] = change.status_code == 200 and 'name="_save"' in change.content.decode()
            answers["d"] = client.get(url(model, "delete", row.pk)).status_code == 200
        checked += len(answers)
        for letter, allowed in answers.items():
            if allowed != (letter in want):
                wrong.append((label, f"HTTP {letter}", allowed, letter in want))
    assert wrong == [], "\n".join(map(repr, wrong))
    assert checked >= 4 * len(tenant_admin_site._registry)


# --- Actions ------------------------------------------------------------------------------

NO_ACTION = "Aucune action sélectionnée"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_run_the_actions_the_table_says(role, scene, tenant_a, in_tenant):
    """An action runs when the ModelAdmin offers it and, posted, it neither answers 403 nor
    « Aucune action sélectionnée »."""
    client = staff(role, tenant_a)
    request = RequestFactory().get("/admin/")
    request.user, request.tenant = client.user, tenant_a
    wrong, checked = [], 0
    for model, model_admin in registry():
        label = model._meta.label_lower
        row = scene.instances.get(label)
        with in_tenant(tenant_a):
            offered = model_admin.get_actions(request)
        for func, name, _description in model_admin._get_base_actions():
            want = role in action_holders(label, name)
            ran = name in offered
            if row is None and ran:
                # No row to post it on: the action itself is called on none, as the admin
                # would; a refusal is its PermissionDenied.
                with in_tenant(tenant_a):
                    try:
                        func(model_admin, _with_messages(request), model.objects.none())
                    except PermissionDenied:
                        ran = False
            elif row is not None:
                response = client.post(
                    url(model, "changelist"),
                    {"action": name, ACTION_CHECKBOX_NAME: [row.pk], "index": 0},
                )
                # Only this request's messages (earlier ones wait in the session).
                said = " ".join(str(m) for m in response.wsgi_request._messages._queued_messages)
                ran = ran and response.status_code != 403 and NO_ACTION not in said
            checked += 1
            if ran != want:
                wrong.append((label, name, want))
    assert wrong == [], "\n".join(map(repr, wrong))
    assert checked >= len(CUSTOM_ACTIONS)


def _with_messages(request):
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


# --- Custom pages -------------------------------------------------------------------------


def custom_pages():
    for model, model_admin in registry():
        for pattern in model_admin.get_urls():
            name = pattern.name or ""
            if name and not any(name.endswith(f"_{page}") for page in STANDARD_PAGES):
                yield model, name, str(pattern.pattern)


def fill(model, route: str, scene: Scene) -> str:
    row = scene.instances.get(model._meta.label_lower)
    job = ImportJob.objects.order_by("pk").first()
    values = {"job_id": job.pk if job else 1}

    def value(match):
        return str(values.get(match[1], row.pk if row else 1))

    return re.sub(r"<(?:\w+:)?(\w+)>", value, route)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_use_the_custom_pages_the_table_says(role, scene, tenant_a, in_tenant):
    client = staff(role, tenant_a)
    wrong, checked = [], 0
    pages = list(custom_pages())
    for model, name, route in pages:
        with in_tenant(tenant_a):
            path = fill(model, route, scene)
        target = url(model, "changelist") + path
        response = client.get(target)
        if response.status_code == 405:  # POST-only pages (the pointage's taps), empty
            response = client.post(target, {}, HTTP_ACCEPT="application/json")
        # The admin refuses with PermissionDenied before looking the row up: a 404 is a page
        # the role may use, asked for a row that does not exist here.
        allowed = response.status_code not in (403, 405)
        checked += 1
        if allowed != (role in page_holders(model._meta.label_lower, name)):
            wrong.append((name, target, response.status_code))
    for label, (query, holders) in QUERY_EXPORTS.items():
        model = next(m for m in tenant_admin_site._registry if m._meta.label_lower == label)
        service = scene.instances["reservations.service"]
        response = client.get(url(model, "changelist"), {**query, "service": service.pk})
        checked += 1
        exported = response.status_code == 200 and "attachment" in response.get(
            "Content-Disposition", ""
        )
        if exported != (role in holders):
            wrong.append((label, query, response.status_code))
    assert wrong == [], "\n".join(map(repr, wrong))
    assert checked == len(pages) + len(QUERY_EXPORTS)
    assert len(pages) >= len(CUSTOM_PAGES)


# --- Health data --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_health_data_only_for_the_roles_that_care_for_the_children(
    role, scene, tenant_a, in_tenant
):
    client = staff(role, tenant_a)
    child, absence = scene.instances["families.child"], scene.instances["requests_inbox.absence"]
    seen = {
        "child": ALLERGY in client.get(url(child, "change", child.pk)).content.decode(),
        "children list (PAI)": "pai" in _columns(client.get(url(child, "changelist"))),
        "foyer": ALLERGY in client.get(url(child.foyer, "change", child.foyer_id)).content.decode(),
        "absence": escape(MOTIF) in client.get(url(absence, "change", absence.pk)).content.decode(),
        "thread": escape(MOTIF)
        in client.get(url(absence.thread, "change", absence.thread_id)).content.decode(),
        "filter by allergy": client.get(
            url(child, "changelist"), {"allergies__icontains": "ARACHIDE"}
        ).status_code
        == 200,
    }
    assert seen == dict.fromkeys(seen, role in CARERS)


def _columns(response) -> set[str]:
    return set(re.findall(r'class="[^"]*\bcolumn-(\w+)', response.content.decode()))


# --- The table itself ---------------------------------------------------------------------


def test_the_table_names_only_known_roles_and_actions():
    assert set(ROLES) == {role.value for role in Role}
    for row in (*APPS.values(), *MODELS.values()):
        assert set(row) <= set(ROLES)
        assert all(set(letters) <= set("vacd") for letters in row.values())
    # Nobody deletes a booking, an invoice or anything billing keeps (SPEC §6).
    for label in ("reservations.booking", "billing.invoice", "billing.payment"):
        assert not any("d" in expected(label, role) for role in ROLES)
    assert not any("d" in letters for letters in APPS["billing"].values())


def test_every_model_of_the_admin_falls_under_the_table():
    labels = {model._meta.label_lower for model in tenant_admin_site._registry}
    assert {label.partition(".")[0] for label in labels} <= set(APPS)
    assert {"reservations.booking", "billing.invoice", "tenants.membership"} <= labels
    assert Membership._meta.label_lower in labels
