"""Production's static files collect: the Docker image runs collectstatic at build.

The manifest storage follows every url() and sourceMappingURL of the CSS and JS it hashes;
a reference to a file that is not shipped (Bootstrap's .map files) fails the build.
"""

from __future__ import annotations

import json

from django.core.management import call_command
from django.test import override_settings


def test_collectstatic_with_the_production_storage_hashes_every_file(settings, tmp_path):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert "vendor/bootstrap/bootstrap.min.css" in manifest
    assert "vendor/htmx/htmx.min.js" in manifest
