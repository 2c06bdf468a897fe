"""Which files may be attached (news, requests): PDF, JPEG or PNG, read from their bytes.

Pure: no Django. The name a file came with is never trusted (an .exe renamed .pdf starts
with « MZ » and is refused); each app raises its own error, with its own French message.
"""

from __future__ import annotations

import filetype

# Accepted types and the extension a stored file gets.
TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
MAX_MB = 5
MAX_BYTES = MAX_MB * 1024 * 1024
# filetype reads at most this many leading bytes to recognise a type.
HEAD_BYTES = 261


def sniff(head: bytes) -> tuple[str, str] | None:
    """Return (content type, extension) that the first bytes ``head`` announce, if accepted."""
    kind = filetype.guess(head)
    if kind is None or kind.mime not in TYPES:
        return None
    return kind.mime, TYPES[kind.mime]
