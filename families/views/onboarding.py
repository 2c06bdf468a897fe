"""Joining a collectivité: the activation wizard (flow 1) and « Gérer mes abonnements » (flow 2)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from formtools.wizard.storage import get_storage
from formtools.wizard.views import SessionWizardView

from families import throttle
from families.exceptions import FamiliesError, TooManyAttempts
from families.forms.onboarding import (
    AccountStepForm,
    AdhesionCodeForm,
    ChildFormSet,
    ResponsableFormSet,
)
from families.models import Foyer
from families.services import (
    ActivationData,
    adhesion_code_check,
    adhesion_code_redeem,
    foyer_activate,
)
from portal.links import account_collectivite_links

STEPS = [
    ("compte", AccountStepForm),
    ("responsables", ResponsableFormSet),
    ("enfants", ChildFormSet),
]
STEP_LABELS = {"compte": "COMPTE FAMILLE", "responsables": "RESPONSABLES", "enfants": "ENFANTS"}
CODE_KEY = "code"
LOGIN_BACKEND = "tenants.backends.EmailRoleBackend"


def _code_error(request, error: FamiliesError, status: int = 400):
    return render(request, "families/onboarding/code_error.html", {"error": error}, status=status)


class ActivationWizard(SessionWizardView):
    """COMPTE FAMILLE → RESPONSABLES → ENFANTS → « S'enregistrer », pre-filled by the mairie.

    The code comes in the e-mailed link; nothing is written before the last step, and then
    everything is written in one transaction (families.services.foyer_activate).
    """

    form_list = STEPS
    template_name = "families/onboarding/wizard.html"

    def dispatch(self, request, *args, **kwargs):
        self.prefix = self.get_prefix(request, *args, **kwargs)
        self.storage = get_storage(self.storage_name, self.prefix, request)
        link_code = request.GET.get("activationCode")
        if request.method == "GET" and link_code:
            return self._start_from_link(request, link_code)
        if not self.storage.extra_data.get(CODE_KEY):
            return render(request, "families/onboarding/no_code.html", status=400)
        self.foyer = (
            Foyer.objects.prefetch_related("responsables", "children")
            .filter(pk=self.storage.extra_data["foyer_id"])
            .first()
        )
        if self.foyer is None:
            self.storage.reset()
            return render(request, "families/onboarding/no_code.html", status=400)
        return super().dispatch(request, *args, **kwargs)

    def _start_from_link(self, request, link_code: str):
        """Check the e-mailed code, keep it in the session, and drop it from the address bar.

        The redirect keeps the code out of the browser history and of the Referer of later
        requests; a fresh click on the link always starts the wizard over.
        """
        self.storage.reset()
        if throttle.code_attempts_blocked(request):
            return _code_error(request, TooManyAttempts(), status=429)
        try:
            row = adhesion_code_check(code=link_code, collectivite=request.tenant)
        except FamiliesError as error:
            throttle.code_attempt_failed(request)
            return _code_error(request, error)
        self.storage.extra_data = {CODE_KEY: link_code, "foyer_id": row.foyer_id}
        return redirect(request.path)

    def get(self, request, *args, **kwargs):
        # formtools resets its storage on GET; ours carries the code, so keep it.
        extra = dict(self.storage.extra_data)
        response = super().get(request, *args, **kwargs)
        self.storage.extra_data = extra
        return response

    def get_form_kwargs(self, step=None):
        return {"request": self.request} if step == "compte" else {}

    def get_form_initial(self, step):
        foyer = self.foyer
        if step == "compte":
            # Never the link's ?email=: only the address the mairie recorded is proven.
            return {"household_name": foyer.name, "email": foyer.email}
        if step == "responsables":
            return [
                {
                    field: getattr(responsable, field)
                    for field in ResponsableFormSet.form._meta.fields
                }
                for responsable in foyer.responsables.all()
            ] or [{"last_name": foyer.name}]
        return [
            {
                "id": child.pk,
                "last_name": child.last_name,
                "first_name": child.first_name,
                "birth_date": child.birth_date,
            }
            for child in foyer.children.all()
        ]

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        context["step_labels"] = [(name, STEP_LABELS[name]) for name, _ in STEPS]
        context["foyer"] = self.foyer
        return context

    def done(self, form_list, **kwargs):
        account, responsables, children = form_list
        data = ActivationData(
            household_name=account.cleaned_data["household_name"],
            email=account.cleaned_data["email"],
            password=account.cleaned_data["password1"],
            responsables=[f.cleaned_data for f in responsables if f.cleaned_data],
            children=[f.cleaned_data for f in children if f.cleaned_data],
        )
        try:
            user = foyer_activate(
                code=self.storage.extra_data[CODE_KEY],
                data=data,
                existing_user=account.existing_user,
            )
        except FamiliesError as error:
            self.storage.reset()
            return _code_error(self.request, error)
        login(self.request, user, backend=LOGIN_BACKEND)
        self.request.session["activated_first_name"] = data.responsables[0]["first_name"]
        return redirect("families:activate_done")


@require_POST
def activation_cancel(request):
    """« Annuler la création de compte »: forget everything the wizard collected."""
    request.session.pop("wizard_activation_wizard", None)
    messages.info(request, "La création de votre compte a été annulée : rien n'a été enregistré.")
    return redirect("home")


def activation_done(request):
    """« Votre compte espace famille a bien été créé »."""
    first_name = request.session.pop("activated_first_name", None)
    if first_name is None:
        return redirect("home")
    return render(request, "families/onboarding/done.html", {"first_name": first_name})


@login_required
def subscriptions(request):
    """« Gérer mes abonnements »: enter a code d'adhésion; list the account's collectivités.

    On the root portal a code of any collectivité is accepted; on a collectivité's domain
    only its own codes are.
    """
    tenant = getattr(request, "tenant", None)
    here = None if tenant is None or tenant.is_public else tenant
    form = AdhesionCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if throttle.code_attempts_blocked(request):
                raise TooManyAttempts()
            joined = adhesion_code_redeem(
                code=form.cleaned_data["code"], user=request.user, collectivite=here
            )
        except TooManyAttempts as error:
            form.add_error("code", error.message)
        except FamiliesError as error:
            throttle.code_attempt_failed(request)
            form.add_error("code", error.message)
        else:
            messages.success(request, f"Adhésion effectuée : {joined.name}.")
            return redirect(request.path)
    return render(
        request,
        "families/onboarding/subscriptions.html",
        {"form": form, "entries": account_collectivite_links(request)},
    )
