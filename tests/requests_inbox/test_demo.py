"""The demo data: one answered thread, created once however often seed_demo runs."""

from __future__ import annotations

import pytest

from requests_inbox import demo, selectors
from requests_inbox.models import Thread, ThreadStatus
from tenants.demo import staff_email
from tests.factories import MembershipFactory
from tests.requests_inbox.conftest import make_family

pytestmark = pytest.mark.django_db


def test_seed_requests_is_idempotent(tenant_a, in_tenant, monkeypatch):
    family = make_family(tenant_a, in_tenant, name="TESTMP")
    MembershipFactory(collectivite=tenant_a, user__email=staff_email("alpha", "agent"))
    spec = {**demo.THREADS["valdurenque"][0], "account": family.user.email}
    monkeypatch.setattr(demo, "THREADS", {"alpha": [spec]})
    assert demo.seed_requests(tenant_a) == 1
    assert demo.seed_requests(tenant_a) == 1
    with in_tenant(tenant_a):
        thread = Thread.objects.get()
        assert thread.status == ThreadStatus.WAITING_FAMILY
        assert [m.from_staff for m in thread.messages.all()] == [False, True]
        assert selectors.family_unread_total(user=family.user) == 1
