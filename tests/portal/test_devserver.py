"""`make run` prints every demo login the README promises."""

from __future__ import annotations

import re
from pathlib import Path

from portal.devserver import DEMO_PASSWORD, demo_logins_text

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_account_of_the_readme_demo_table_is_printed():
    demo = README.split("## Demo", 1)[1].split("###", 1)[0]
    promised = set(re.findall(r"`([\w.+-]+@[\w.-]+\.demo)`", demo))
    assert len(promised) >= 13
    printed = demo_logins_text("8000")
    assert DEMO_PASSWORD in printed and DEMO_PASSWORD in demo
    assert {email for email in promised if email not in printed} == set()
