"""Host -> collectivité routing with a cached lookup."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django_tenants.middleware.main import TenantMainMiddleware


def host_cache_key(hostname: str) -> str:
    return f"tenant-host:{hostname}"


class CachedTenantMiddleware(TenantMainMiddleware):
    """Select the collectivité's schema from the host, caching the domain lookup.

    django-tenants runs one query per request for this; under the Tuesday-noon rush that is
    one query too many. Entries are dropped when a domain or collectivité changes
    (tenants.signals), and expire after TENANT_CACHE_SECONDS anyway.
    """

    def get_tenant(self, domain_model, hostname):
        key = host_cache_key(hostname)
        tenant = cache.get(key)
        if tenant is None:
            tenant = super().get_tenant(domain_model, hostname)
            cache.set(key, tenant, settings.TENANT_CACHE_SECONDS)
        return tenant
