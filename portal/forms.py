from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from portal.models import Civilite, NotificationPreference
from portal.validators import phone_validator


class DatePicker(forms.DateInput):
    """The browser's date picker. Its value is ISO (2026-10-01), the only format it reads: a
    date rendered the French way (01/10/2026) shows as an empty field, and a default period
    vanished from the form."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class EmailLoginForm(AuthenticationForm):
    """Log in by e-mail address and password, with French messages."""

    username = forms.EmailField(
        label="Adresse e-mail",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": (
            "Adresse e-mail ou mot de passe incorrect. Vérifiez votre saisie "
            "(les majuscules comptent dans le mot de passe)."
        ),
        "inactive": "Ce compte est désactivé. Contactez votre mairie.",
        "unconfirmed": (
            "Votre adresse e-mail n'est pas encore confirmée : cliquez sur le lien de l'e-mail "
            "« Confirmez votre adresse » que nous vous avons envoyé."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            email = self.cleaned_data.get("username", "")
            pending = get_user_model().objects.filter(
                email__iexact=email, is_active=False, email_confirmed_at__isnull=True
            )
            if email and pending.exists():
                raise forms.ValidationError(
                    self.error_messages["unconfirmed"], code="unconfirmed"
                ) from None
            raise


class NewPasswordFields(forms.Form):
    """A new password typed twice, as every form that creates an account asks for it."""

    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="10 caractères au moins, pas uniquement des chiffres.",
    )
    password2 = forms.CharField(
        label="Confirmez votre mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class SignupForm(NewPasswordFields, forms.ModelForm):
    """« Créer un compte » on the portal (seed 002): the account, then codes to join."""

    class Meta:
        model = get_user_model()
        fields = [
            "household_name",
            "email",
            "civilite",
            "last_name",
            "first_name",
            "phone",
            "phone_secondary",
            "email_secondary",
            "notification",
        ]
        labels = {"email": "E-mail principal (identifiant de connexion)"}
        widgets = {"civilite": forms.RadioSelect, "notification": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("household_name", "civilite", "last_name", "first_name"):
            self.fields[name].required = True
        self.fields["civilite"].choices = Civilite.choices
        self.fields["notification"].choices = NotificationPreference.choices
        self.fields["phone"].validators.append(phone_validator)
        self.fields["phone_secondary"].validators.append(phone_validator)

    def clean_email(self):
        # Whether the address has an account is never said here (enumeration): the service
        # e-mails the existing account instead, and the page is the same.
        return self.cleaned_data["email"].lower()

    def _get_validation_exclusions(self):
        # The e-mail's uniqueness (field and constraint) is the service's business.
        return {*super()._get_validation_exclusions(), "email"}

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "Les deux mots de passe ne correspondent pas.")
        elif p1:
            try:
                password_validation.validate_password(p1, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the e-mail sent once through the e-mail journal (Celery)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from django.template import loader

        from portal.sealing import key_digest
        from portal.services import email_queue

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        email_queue(
            to=to_email,
            subject=subject,
            body=body,
            # The token is the secret: masked in the body, never part of the key.
            key=f"password-reset:{context['uid']}:{key_digest(context['token'])}",
            secrets=[context["token"]],
        )
