"""The benchmarks' floor view: routed only when BENCH_BARE_VIEW is set."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from portal.views import bench_bare

pytestmark = pytest.mark.django_db


def test_the_bare_view_is_not_routed_by_default(client_a, settings):
    assert settings.BENCH_BARE_VIEW is False
    assert client_a.get("/__bench/nu/").status_code == 404


def test_the_bare_view_answers_a_constant():
    response = bench_bare(RequestFactory().get("/__bench/nu/"))
    assert (response.status_code, response.content) == (200, b"ok")
