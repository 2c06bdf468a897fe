"""`manage.py collectivite_import FILE --as NEW_SLUG`: restore an archive as a new collectivité."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tenants.exceptions import TransferError
from tenants.transfer import collectivite_import


class Command(BaseCommand):
    help = (
        "Restaure une archive de collectivite_export dans une nouvelle collectivité, servie "
        "à <identifiant>.<PORTAL_DOMAIN>. Tout ou rien : en cas d'échec, rien ne reste."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="archive écrite par collectivite_export")
        parser.add_argument(
            "--as",
            dest="slug",
            required=True,
            help="identifiant (schéma) de la nouvelle collectivité",
        )

    def handle(self, *args, file, slug, **options):
        try:
            report = collectivite_import(path=Path(file), slug=slug)
        except TransferError as error:
            raise CommandError(error.message) from error
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        lines = [
            f"{report.collectivite.name} restaurée sous « {slug} » : "
            f"{settings.SITE_SCHEME}://{report.domain}{port}/",
            f"  {report.rows} lignes, {report.files} fichiers",
            f"  comptes : {report.accounts_linked} retrouvés par leur e-mail, "
            f"{report.accounts_created} créés (inactifs sans mot de passe, sauf archive "
            "avec empreintes)",
        ]
        if report.codes_skipped:
            lines.append(
                f"  {report.codes_skipped} code(s) d'adhésion non repris : déjà présents sur ce "
                "serveur, ils restent ceux de la collectivité d'origine"
            )
        self.stdout.write("\n".join(lines))
