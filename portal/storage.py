"""File storages: platform-wide public files, and private files served only by a view."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PlatformStorage(FileSystemStorage):
    """Platform-wide public files (collectivités' logos), under MEDIA_ROOT/platform/.

    The default storage puts each file under the schema active at the time, and builds URLs
    from the schema active at display time: a logo uploaded from the platform admin would
    never be found on the collectivité's own pages.
    """

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, os.path.join(settings.MEDIA_ROOT, "platform"))

    @cached_property
    def base_url(self):
        return self._value_or_setting(self._base_url, f"{settings.MEDIA_URL}platform/")


def platform_storage() -> FileSystemStorage:
    return PlatformStorage()


class PrivateStorage(FileSystemStorage):
    """Files without a public URL, under PRIVATE_MEDIA_ROOT (default DATA_DIR/private).

    MEDIA_ROOT is served to anyone (by the proxy in production, the dev server here): news
    attachments and families' justificatifs live here instead, each under its
    collectivité's schema (the models' ``upload_to`` put it first), and reach a browser only
    through a view that checks who asks. The root is read at each use, so tests may move it.
    """

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL: link to the view that serves them.")


def private_storage() -> PrivateStorage:
    return PrivateStorage()
