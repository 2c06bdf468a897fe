from functools import cache

from requests_inbox.selectors import family_unread_total_cached


def requests_inbox(request):
    """Give templates ``requests_unread``: the family's unread messages from the mairie.

    Only on a collectivité's domain, for a logged-in account; the count is taken when a
    template reads it (the navbar does, the admin never), at most once per request: one
    query, or none when the cached count is fresh (see selectors and services).
    """
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or tenant.is_public or user is None or not user.is_authenticated:
        return {}

    @cache
    def requests_unread() -> int:
        return family_unread_total_cached(user=user)

    return {"requests_unread": requests_unread}
