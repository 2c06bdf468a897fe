"""The production image: the folders docker-compose mounts exist and belong to the app user."""

from __future__ import annotations

import re
from pathlib import Path

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
COMPOSE = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()


def test_every_mounted_data_folder_is_created_and_owned_by_the_app_user():
    mounted = set(re.findall(r"^\s+- \w+:(/data/\w+)\s*$", COMPOSE, re.MULTILINE))
    assert {"/data/media", "/data/private"} <= mounted
    chown = re.search(r"chown espace:espace ([^&\n\\]+)", DOCKERFILE).group(1).split()
    user_switch = DOCKERFILE.index("USER espace")
    for folder in mounted:
        assert "mkdir -p" in DOCKERFILE and folder in DOCKERFILE[:user_switch], folder
        assert folder in chown, folder
