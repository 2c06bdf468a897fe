"""Bounds on the staff import files, checked before anything parses them.

A 1 Mo XLSX once expanded to 231 Mo and took 2 min 45 s of CPU in the request: an XLSX is a
zip, so its members' declared sizes are read (zipfile reads only the central directory)
and the file refused before openpyxl expands a byte.
"""

from __future__ import annotations

import io
import zipfile

from families.exceptions import FamiliesError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# What a 5 000-row workbook of this import really expands to is well under 10 Mo.
MAX_XLSX_EXPANDED_BYTES = 25 * 1024 * 1024
MAX_XLSX_MEMBERS = 200


class ImportRefused(FamiliesError):
    message = "Ce fichier ne peut pas être importé."


TOO_BIG = ImportRefused(
    f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo : découpez-le en plusieurs fichiers."
)
TOO_MANY_ROWS = ImportRefused(
    f"Le fichier compte plus de {MAX_ROWS:,} lignes : découpez-le en plusieurs fichiers.".replace(
        ",", "\u202f"
    )
)
XLSX_TOO_BIG = ImportRefused(
    "Ce classeur XLSX est anormalement volumineux une fois décompressé : enregistrez-le à "
    "nouveau depuis votre tableur, ou exportez-le en CSV."
)
NOT_XLSX = ImportRefused(
    "Ce fichier n'est pas un classeur XLSX lisible : vérifiez le format choisi."
)


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise TOO_BIG


def check_xlsx(data: bytes) -> None:
    """Refuse an XLSX whose members would expand past MAX_XLSX_EXPANDED_BYTES."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise NOT_XLSX from error
    if len(members) > MAX_XLSX_MEMBERS:
        raise XLSX_TOO_BIG
    if sum(member.file_size for member in members) > MAX_XLSX_EXPANDED_BYTES:
        raise XLSX_TOO_BIG


def check_rows(count: int) -> None:
    if count > MAX_ROWS:
        raise TOO_MANY_ROWS
