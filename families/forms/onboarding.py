"""Forms of the activation wizard (flow 1) and of « Gérer mes abonnements » (flow 2)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation

from families.models import Child, Responsable
from portal.forms import DatePicker, NewPasswordFields
from portal.models import Civilite
from portal.validators import plain_text_validator

PASSWORD_MISMATCH = "Les deux mots de passe ne correspondent pas."
EXISTING_ACCOUNT_PASSWORD = (
    "Un compte Espace Famille existe déjà avec cette adresse : saisissez son mot de passe "
    "pour y rattacher ce foyer, ou utilisez « Mot de passe oublié »."
)


class AccountStepForm(NewPasswordFields):
    """COMPTE FAMILLE: family name, login e-mail, password twice."""

    household_name = forms.CharField(
        label="Nom de la famille",
        max_length=150,
        validators=[plain_text_validator],
        help_text="Cette information sera utilisée pour le nom de votre foyer.",
    )
    # The address the mairie recorded, to which the activation link was sent: the link
    # proves this mailbox only, so it is shown, never typed (the posted value is ignored).
    email = forms.EmailField(
        label="Adresse e-mail",
        disabled=True,
        help_text=(
            "Important : il s'agira de votre identifiant de connexion, conservez-le bien. "
            "C'est l'adresse à laquelle la mairie vous a écrit ; pour en changer, "
            "contactez-la."
        ),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.existing_user = None

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

    def clean(self):
        cleaned = super().clean()
        email, p1, p2 = cleaned.get("email"), cleaned.get("password1"), cleaned.get("password2")
        if not (email and p1 and p2):
            return cleaned
        if p1 != p2:
            self.add_error("password2", PASSWORD_MISMATCH)
            return cleaned
        if get_user_model().objects.filter(email__iexact=email).exists():
            # Through authenticate(): wrong passwords count towards the login lockout (axes).
            user = authenticate(self.request, username=email, password=p1)
            if user is None:
                self.add_error("password1", EXISTING_ACCOUNT_PASSWORD)
            self.existing_user = user
            return cleaned
        candidate = get_user_model()(email=email, last_name=cleaned.get("household_name", ""))
        try:
            password_validation.validate_password(p1, candidate)
        except forms.ValidationError as error:
            self.add_error("password1", error)
        return cleaned


class ResponsableForm(forms.ModelForm):
    class Meta:
        model = Responsable
        fields = [
            "civilite",
            "last_name",
            "first_name",
            "phone",
            "phone_secondary",
            "email",
            "address",
            "notification",
        ]
        widgets = {
            "civilite": forms.RadioSelect,
            "address": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Radio buttons need no "---------" choice.
        self.fields["civilite"].choices = Civilite.choices


RESPONSABLE_1_REQUIRED = "Indiquez au moins le responsable 1 du foyer."
TOO_MANY_RESPONSABLES = "Un foyer compte deux responsables au plus."


class BaseResponsableFormSet(forms.BaseFormSet):
    """Responsable 1 required, responsable 2 optional; French messages for forged counts."""

    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": RESPONSABLE_1_REQUIRED,
        "too_many_forms": TOO_MANY_RESPONSABLES,
    }

    def clean(self):
        super().clean()
        if not any(form.cleaned_data for form in self.forms if not form.errors):
            raise forms.ValidationError(RESPONSABLE_1_REQUIRED, code="too_few_forms")


ResponsableFormSet = forms.formset_factory(
    ResponsableForm,
    formset=BaseResponsableFormSet,
    extra=1,
    max_num=2,
    validate_max=True,
    min_num=0,
)


class ChildCheckForm(forms.ModelForm):
    """One child staff recorded, checked (and corrected) by the parent."""

    id = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Child
        fields = ["last_name", "first_name", "birth_date"]
        widgets = {"birth_date": DatePicker()}


ChildFormSet = forms.formset_factory(ChildCheckForm, extra=0)


class AdhesionCodeForm(forms.Form):
    code = forms.CharField(
        label="Code d'adhésion",
        max_length=30,
        help_text="Les 10 caractères reçus par e-mail de votre mairie.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
