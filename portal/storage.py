"""File storages: platform-wide public files, and private files served only by a view.

Private files (news attachments, families' justificatifs, invoice and credit-note PDFs) go
to ``STORAGES["private"]``: the local disk under PRIVATE_MEDIA_ROOT by default, an
S3-compatible bucket (portal.storage_s3) when AWS_STORAGE_BUCKET_NAME is set (settings,
# STORAGE). With the bucket, several web and worker machines share the files and none keeps
any of its own.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

NO_PUBLIC_URL = "Private files have no public URL: link to the view that serves them."


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


class LocalPrivateStorage(FileSystemStorage):
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
        raise ValueError(NO_PUBLIC_URL)


@deconstructible(path="portal.storage.PrivateStorage")
class PrivateStorage(Storage):
    """The private storage as configured now: each call goes to ``STORAGES["private"]``.

    Model fields resolve their storage once, at import; going through this indirection at
    each use lets the configuration (and a test's ``override_settings``) decide instead.
    """

    @property
    def backend(self) -> Storage:
        return storages["private"]

    def open(self, name, mode="rb"):
        return self.backend.open(name, mode)

    def save(self, name, content, max_length=None):
        return self.backend.save(name, content, max_length=max_length)

    def get_valid_name(self, name):
        return self.backend.get_valid_name(name)

    def get_available_name(self, name, max_length=None):
        return self.backend.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend.generate_filename(filename)

    def path(self, name):
        return self.backend.path(name)

    def delete(self, name):
        return self.backend.delete(name)

    def exists(self, name):
        return self.backend.exists(name)

    def listdir(self, path):
        return self.backend.listdir(path)

    def size(self, name):
        return self.backend.size(name)

    def url(self, name):
        raise ValueError(NO_PUBLIC_URL)

    def get_accessed_time(self, name):
        return self.backend.get_accessed_time(name)

    def get_created_time(self, name):
        return self.backend.get_created_time(name)

    def get_modified_time(self, name):
        return self.backend.get_modified_time(name)


def private_storage() -> PrivateStorage:
    return PrivateStorage()
