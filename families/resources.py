"""Staff import of foyers, their responsable 1 and their children from CSV or XLSX.

One row is one child with its foyer's and responsable 1's columns, and optionally the
foyer's quotient familial (the same on each of its children's rows). django-import-export
drives the dry run, the preview and the confirmation; this module maps the French columns
and finds or creates the foyer of each row. The whole file is one transaction: a file with
one bad row imports nothing (``families.admin.FoyerAdmin`` rolls back on row errors too).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from import_export import resources, widgets
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX

from families.import_limits import check_rows, check_size, check_xlsx
from families.models import (
    Child,
    Foyer,
    QuotientFamilial,
    QuotientSource,
    Regime,
    Responsable,
    Sexe,
)
from portal.models import Civilite

# Column headers, as staff type them in their spreadsheet.
FOYER_NAME = "Nom du foyer"
FOYER_EMAIL = "E-mail de connexion"
R1_CIVILITE = "Civilité responsable 1"
R1_LAST_NAME = "Nom responsable 1"
R1_FIRST_NAME = "Prénom responsable 1"
R1_PHONE = "Téléphone responsable 1"
CHILD_LAST_NAME = "Nom enfant"
CHILD_FIRST_NAME = "Prénom enfant"
BIRTH_DATE = "Date de naissance"
SEXE = "Sexe"
SCHOOL = "École"
CLASSE = "Classe"
REGIME = "Régime"
# Optional: the foyer's quotient familial.
QF_VALUE = "Quotient familial"
QF_SOURCE = "Source du quotient"
QF_FROM = "Quotient valable du"
QF_TO = "Quotient valable au"
REQUIRED_COLUMNS = (FOYER_NAME, CHILD_LAST_NAME, CHILD_FIRST_NAME, BIRTH_DATE, SEXE)

# Messages staff read next to the row number of the import preview.
MISSING_COLUMNS = "Colonnes absentes du fichier : {columns}. Vérifiez la ligne d'en-têtes."
MISSING_VALUE = "Valeur obligatoire."
BAD_DATE = "Date « {value} » invalide : saisissez-la au format JJ/MM/AAAA."
UNKNOWN_SEXE = "Sexe « {value} » inconnu : indiquez F (Fille) ou G (Garçon)."
UNKNOWN_REGIME = "Régime « {value} » inconnu : indiquez Classique, Végétarien ou Sans porc."
UNKNOWN_CIVILITE = "Civilité « {value} » inconnue : indiquez Madame (MME) ou Monsieur (M)."
BAD_EMAIL = "Adresse e-mail « {value} » invalide."
BAD_QUOTIENT = "Quotient familial « {value} » invalide : indiquez un nombre entier."
UNKNOWN_SOURCE = "Source « {value} » inconnue : indiquez CAF ou MSA."
AMBIGUOUS_FOYER = (
    "Plusieurs foyers s'appellent « {name} » : indiquez l'e-mail de connexion pour choisir le bon."
)


def _plain(value: str) -> str:
    """Return ``value`` lower-cased, without accents and with single spaces, for matching."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.replace("_", " ").casefold().split())


def _text(value) -> str:
    """Return a cell as stripped text; spreadsheets hand integers back as floats."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _phone(value) -> str:
    """Return a phone cell as text, restoring the leading 0 a numeric cell dropped."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = _text(value)
        return f"0{digits}" if len(digits) == 9 else digits
    return _text(value)


class TextWidget(widgets.Widget):
    """Stripped text; with ``required``, an empty cell is a row error."""

    def __init__(self, required: bool = False):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if self.required and not text:
            raise ValueError(MISSING_VALUE)
        return text


class FrenchDateWidget(widgets.Widget):
    """A date typed JJ/MM/AAAA, or a date cell of a spreadsheet."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = _text(value)
        if not text:
            raise ValueError(MISSING_VALUE)
        try:
            return datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            raise ValueError(BAD_DATE.format(value=text)) from None

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%d/%m/%Y") if isinstance(value, date) else ""


class LabelChoiceWidget(widgets.Widget):
    """A choice typed as its code or its French label, accents and case ignored."""

    def __init__(self, choices, unknown: str, default: str | None = None):
        super().__init__()
        self.by_text = {}
        self.labels = {}
        for code, label in choices:
            self.by_text[_plain(code)] = code
            self.by_text[_plain(str(label))] = code
            self.labels.setdefault(code, str(label))  # the first label is the display one
        self.unknown = unknown
        self.default = default

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            if self.default is None:
                raise ValueError(MISSING_VALUE)
            return self.default
        try:
            return self.by_text[_plain(text)]
        except KeyError:
            raise ValueError(self.unknown.format(value=text)) from None

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value, value or "")


class FrenchCSV(CSV):
    """CSV separated by commas or, as French Excel writes it, by semicolons; bounded."""

    def create_dataset(self, in_stream, **kwargs):
        check_size(len(in_stream))
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        # Counted before parsing: a header and at most MAX_ROWS rows (quoted line breaks
        # only make the count larger, never let a longer file through).
        check_rows(in_stream.count("\n") - 1)
        header = in_stream.split("\n", 1)[0]
        kwargs.setdefault("delimiter", ";" if header.count(";") > header.count(",") else ",")
        return super().create_dataset(in_stream, **kwargs)


class BoundedXLSX(XLSX):
    """XLSX whose expanded size is checked before openpyxl opens it; rows bounded."""

    def create_dataset(self, in_stream):
        check_size(len(in_stream))
        check_xlsx(in_stream)
        dataset = super().create_dataset(in_stream)
        check_rows(len(dataset))
        return dataset


source_widget = LabelChoiceWidget(QuotientSource.choices, UNKNOWN_SOURCE)
civilite_widget = LabelChoiceWidget(
    [*Civilite.choices, ("MME", "Mme"), ("M", "M."), ("M", "Mr")], UNKNOWN_CIVILITE
)


class ChildResource(resources.ModelResource):
    """One row: a child, its foyer (found by e-mail, else by name) and responsable 1.

    ``before_import_row`` finds or creates the foyer and its responsable 1 from the row
    (inside the import's transaction, so a dry run or a failed file leaves nothing); a child
    already in that foyer with the same names and birth date is updated, not duplicated.
    """

    # Foyer and responsable columns are read by before_import_row, never saved on the child;
    # declared read-only so that the column list and the preview show them.
    foyer_name = Field("foyer__name", FOYER_NAME, readonly=True)
    foyer_email = Field("foyer__email", FOYER_EMAIL, readonly=True)
    responsable_civilite = Field(
        "import_responsable__civilite", R1_CIVILITE, civilite_widget, readonly=True
    )
    responsable_last_name = Field("import_responsable__last_name", R1_LAST_NAME, readonly=True)
    responsable_first_name = Field("import_responsable__first_name", R1_FIRST_NAME, readonly=True)
    responsable_phone = Field("import_responsable__phone", R1_PHONE, readonly=True)
    quotient_value = Field("import_quotient__value", QF_VALUE, readonly=True)
    quotient_source = Field("import_quotient__source", QF_SOURCE, readonly=True)
    quotient_from = Field("import_quotient__valid_from", QF_FROM, FrenchDateWidget(), readonly=True)
    quotient_to = Field("import_quotient__valid_to", QF_TO, FrenchDateWidget(), readonly=True)
    last_name = Field("last_name", CHILD_LAST_NAME, TextWidget(required=True))
    first_name = Field("first_name", CHILD_FIRST_NAME, TextWidget(required=True))
    birth_date = Field("birth_date", BIRTH_DATE, FrenchDateWidget())
    sexe = Field("sexe", SEXE, LabelChoiceWidget(Sexe.choices, UNKNOWN_SEXE))
    school = Field("school", SCHOOL, TextWidget())
    classe = Field("classe", CLASSE, TextWidget())
    regime = Field(
        "regime",
        REGIME,
        LabelChoiceWidget(Regime.choices, UNKNOWN_REGIME, default=Regime.CLASSIQUE),
    )

    class Meta:
        model = Child
        fields = (
            "foyer_name",
            "foyer_email",
            "responsable_civilite",
            "responsable_last_name",
            "responsable_first_name",
            "responsable_phone",
            "quotient_value",
            "quotient_source",
            "quotient_from",
            "quotient_to",
            "last_name",
            "first_name",
            "birth_date",
            "sexe",
            "school",
            "classe",
            "regime",
        )
        import_order = fields
        # Whatever the IMPORT_EXPORT_USE_TRANSACTIONS setting says: all or nothing.
        use_transactions = True
        clean_model_instances = True
        report_skipped = False
        name = "Enfants avec leur foyer et leur responsable 1"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.foyers_created = 0
        self._foyer: Foyer | None = None
        self._responsable: Responsable | None = None
        self._quotient: QuotientFamilial | None = None
        self._foyer_errors: dict[str, list[str]] = {}

    # Whole file

    def before_import(self, dataset, **kwargs):
        """Accept headers whatever their case, accents or spacing; refuse missing columns."""
        canonical = {_plain(field.column_name): field.column_name for field in self.fields.values()}
        dataset.headers = [
            canonical.get(_plain(_text(header)), _text(header)) for header in dataset.headers or []
        ]
        missing = [column for column in REQUIRED_COLUMNS if column not in dataset.headers]
        if missing:
            # One message says it all; without its columns every row would fail as well.
            del dataset[:]
            raise ValueError(MISSING_COLUMNS.format(columns=", ".join(missing)))

    # Set by families.services_import: rows done are published there for the progress page.
    progress_key: str | None = None

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        number = kwargs.get("row_number")
        if self.progress_key and number and number % 50 == 0:
            from django.core.cache import cache

            cache.set(self.progress_key, number, 3600)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # The admin's success message reports foyers too; the result is all it receives.
        result.foyers_created = self.foyers_created

    # Each row

    def before_import_row(self, row, **kwargs):
        self._foyer, self._responsable, self._foyer_errors = None, None, {}
        self._quotient = None
        if self._is_blank(row):
            return
        errors: dict[str, list[str]] = {}
        name = _text(row.get(FOYER_NAME))
        email = _text(row.get(FOYER_EMAIL)).lower()
        if not name:
            errors[FOYER_NAME] = [MISSING_VALUE]
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors[FOYER_EMAIL] = [BAD_EMAIL.format(value=email)]
        foyer = None
        if not errors:
            try:
                foyer = self._foyer_find(name=name, email=email)
                if foyer is None:  # a new foyer: its e-mail is checked against the others'
                    Foyer(name=name, email=email).full_clean(exclude=["user"])
            except ValidationError as error:
                for field, messages in error.update_error_dict({}).items():
                    column = FOYER_EMAIL if field == "email" else FOYER_NAME
                    errors.setdefault(column, []).extend(messages)
        # Checked even when the foyer is in error, as for a new foyer: staff see every
        # mistake of the row at once.
        responsable = None
        try:
            responsable = self._responsable_for(foyer, row)
        except ValidationError as error:
            errors.update(error.message_dict)
        quotient = None
        try:
            quotient = self._quotient_for(foyer, row, user=kwargs.get("user"))
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            self._foyer_errors = errors
            return
        if foyer is None:
            foyer = Foyer.objects.create(name=name, email=email)  # validated above
            self.foyers_created += 1
        if responsable is not None:
            responsable.foyer = foyer
            responsable.save()
        if quotient is not None:
            quotient.foyer = foyer
            quotient.save()  # checked above, and by the constraint quotient_periods_disjoint
        self._quotient = quotient
        self._foyer = foyer
        self._responsable = responsable or foyer.responsables.filter(rank=1).first()

    def get_instance(self, instance_loader, row):
        """Return the foyer's child with the row's names and birth date, if any."""
        if self._foyer is None:
            return None
        try:
            last_name = self.fields["last_name"].clean(row)
            first_name = self.fields["first_name"].clean(row)
            birth_date = self.fields["birth_date"].clean(row)
        except (ValueError, KeyError):
            return None  # import_instance reports the bad cell
        return Child.objects.filter(
            foyer=self._foyer,
            last_name__iexact=last_name,
            first_name__iexact=first_name,
            birth_date=birth_date,
        ).first()

    def after_init_instance(self, instance, new, row, **kwargs):
        # Read by the responsable and quotient columns of the preview.
        instance.import_responsable = self._responsable
        instance.import_quotient = self._quotient

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if self._foyer is not None:
            instance.foyer = self._foyer
        errors.update(self._foyer_errors)
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Run the model's checks too, and name each error by its column header."""
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        if instance.foyer_id is None:
            exclude.add("foyer")  # the foyer's own columns already carry the error
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            columns = {
                field.attribute: field.column_name
                for field in self.fields.values()
                if field.attribute and not field.readonly
            }
            columns["foyer"] = FOYER_NAME
            raise ValidationError(
                {
                    key if key == NON_FIELD_ERRORS else columns.get(key, key): value
                    for key, value in errors.items()
                }
            )

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # Spreadsheets often end with rows that only look empty.
        return self._is_blank(row)

    # Helpers

    @staticmethod
    def _is_blank(row) -> bool:
        return not any(_text(value) for value in row.values())

    @staticmethod
    def _foyer_find(*, name: str, email: str) -> Foyer | None:
        """Return the foyer of this e-mail de connexion, or, without e-mail, of this name."""
        if email:
            return Foyer.objects.filter(email__iexact=email).first()
        foyers = list(Foyer.objects.filter(name__iexact=name)[:2])
        if len(foyers) > 1:
            raise ValidationError(AMBIGUOUS_FOYER.format(name=name))
        return foyers[0] if foyers else None

    @staticmethod
    def _quotient_for(foyer: Foyer | None, row, *, user) -> QuotientFamilial | None:
        """Return the row's quotient familial, validated, not saved; None if none or known.

        The same quotient is repeated on each child's row of a foyer: once saved, it is
        known. A period overlapping another of the foyer is refused with the model's
        message (constraint quotient_periods_disjoint), as in the foyer's admin page.
        """
        text = _text(row.get(QF_VALUE))
        if not text:
            return None
        errors: dict[str, list[str]] = {}
        value = None
        try:
            value = int(text)
        except ValueError:
            errors[QF_VALUE] = [BAD_QUOTIENT.format(value=text)]
        source = _text(row.get(QF_SOURCE))
        try:
            source = source_widget.clean(source)
        except ValueError as error:
            errors[QF_SOURCE] = [str(error)]
        valid_from = valid_to = None
        try:
            valid_from = FrenchDateWidget().clean(row.get(QF_FROM))
        except ValueError as error:
            errors[QF_FROM] = [str(error)]
        if _text(row.get(QF_TO)):
            try:
                valid_to = FrenchDateWidget().clean(row.get(QF_TO))
            except ValueError as error:
                errors[QF_TO] = [str(error)]
        if errors:
            raise ValidationError(errors)
        quotient = QuotientFamilial(
            foyer=foyer,
            value=value,
            source=source,
            valid_from=valid_from,
            valid_to=valid_to,
            set_by=user if getattr(user, "pk", None) else None,
        )
        if (
            foyer is not None
            and foyer.quotients.filter(
                value=value, source=source, valid_from=valid_from, valid_to=valid_to
            ).exists()
        ):
            return None
        columns = {"value": QF_VALUE, "source": QF_SOURCE, "valid_from": QF_FROM}
        try:
            quotient.full_clean(exclude=["set_by"] if foyer else ["set_by", "foyer"])
        except ValidationError as error:
            raise ValidationError(
                {
                    columns.get(field, QF_TO if field == "valid_to" else QF_VALUE): messages
                    for field, messages in error.message_dict.items()
                }
            ) from error
        return quotient

    @staticmethod
    def _responsable_for(foyer: Foyer | None, row) -> Responsable | None:
        """Return responsable 1 as the row describes it, validated, not saved.

        A foyer without responsable 1 gets one from the row (its columns are then
        required). An existing one is updated from the row's filled columns until the family
        activates its account; after that the family keeps its own details up to date.
        Returns None when nothing is to be written.
        """
        existing = foyer.responsables.filter(rank=1).first() if foyer else None
        values = {
            "civilite": _text(row.get(R1_CIVILITE)),
            "last_name": _text(row.get(R1_LAST_NAME)),
            "first_name": _text(row.get(R1_FIRST_NAME)),
            "phone": _phone(row.get(R1_PHONE)),
        }
        if existing is not None and (foyer.user_id or not any(values.values())):
            return None
        columns = {
            "civilite": R1_CIVILITE,
            "last_name": R1_LAST_NAME,
            "first_name": R1_FIRST_NAME,
            "phone": R1_PHONE,
        }
        errors: dict[str, list[str]] = {}
        if existing is None:
            for field in ("civilite", "last_name", "first_name"):
                if not values[field]:
                    errors[columns[field]] = [MISSING_VALUE]
        if values["civilite"]:
            try:
                values["civilite"] = civilite_widget.clean(values["civilite"])
            except ValueError as error:
                errors[R1_CIVILITE] = [str(error)]
        responsable = existing or Responsable(rank=1)
        for field, value in values.items():
            if value:  # an empty cell leaves an existing value alone
                setattr(responsable, field, value)
        try:
            responsable.full_clean(
                exclude=["foyer", *(field for field, column in columns.items() if column in errors)]
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(columns.get(field, R1_LAST_NAME), []).extend(messages)
        if errors:
            raise ValidationError(errors)
        return responsable
