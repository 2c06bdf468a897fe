def portal(request):
    """Give every template the current collectivité (None on the public portal)."""
    tenant = getattr(request, "tenant", None)
    collectivite = tenant if tenant is not None and not tenant.is_public else None
    return {"collectivite": collectivite}
