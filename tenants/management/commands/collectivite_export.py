"""`manage.py collectivite_export SLUG FILE`: a collectivité, its files and accounts, archived."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.exceptions import TransferError
from tenants.transfer import collectivite_export


class Command(BaseCommand):
    help = (
        "Exporte une collectivité (son schéma, ses lignes des tables partagées, ses fichiers) "
        "dans une archive tar.gz, pour une restauration ou pour la lui remettre."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="identifiant (schéma) de la collectivité")
        parser.add_argument("file", help="archive à écrire, par exemple valdurenque.tar.gz")
        parser.add_argument(
            "--with-passwords",
            action="store_true",
            help="inclure les empreintes des mots de passe des comptes (absentes sinon)",
        )

    def handle(self, *args, slug, file, with_passwords, **options):
        try:
            manifest = collectivite_export(
                slug=slug, path=Path(file), with_passwords=with_passwords
            )
        except TransferError as error:
            raise CommandError(error.message) from error
        rows = sum(count for name, count in manifest["counts"].items() if name.endswith(".jsonl"))
        files = sum(1 for name in manifest["sha256"] if name.startswith("files/"))
        self.stdout.write(
            f"{manifest['name']} exportée dans {file} : {rows} lignes, {files} fichiers"
            + (", avec les empreintes des mots de passe." if with_passwords else ".")
        )
