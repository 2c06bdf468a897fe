"""File storages that are not per collectivité."""

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
