"""Request guards that run before anything reads the request: client address, NUL bytes."""

from __future__ import annotations

import ipaddress
import logging
from functools import cached_property

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: list[str]) -> tuple[Network, ...]:
    """Return the networks of ``entries`` (addresses or CIDR blocks), refusing a typo."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(*, peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """Return the client's address seen through the trusted proxies in front of us.

    ``peer`` is the TCP peer (REMOTE_ADDR). Unless it is a trusted proxy, it is the client and
    X-Forwarded-For is ignored (anyone can send it). Otherwise the forwarded chain is read from
    the right: each proxy appends the address it received from, so the first address that is
    not itself a trusted proxy is the client; whatever stands to its left was written by the
    client and cannot be believed.
    """
    if not trusted or not forwarded_for:
        return peer
    peer_address = _address(peer)
    if peer_address is None or not any(peer_address in net for net in trusted):
        return peer
    hop = peer
    for entry in reversed(forwarded_for.split(",")):
        address = _address(entry)
        if address is None:
            return hop  # garbage in the chain: stop at the last address we could trust
        hop = str(address)
        if not any(address in net for net in trusted):
            return hop
    return hop


class TrustedProxyMiddleware:
    """Put the real client's address in REMOTE_ADDR when the request came through our proxy.

    django-axes, django-ratelimit and the adhesion-code throttle all read REMOTE_ADDR: behind
    the TLS proxy every parent would otherwise share the proxy's address, and ten wrong
    passwords from anyone would lock everyone out. Configured by ``TRUSTED_PROXIES``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def trusted(self) -> tuple[Network, ...]:
        return parse_networks(settings.TRUSTED_PROXIES)

    def __call__(self, request):
        meta = request.META
        forwarded_for = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded_for and self.trusted:
            meta["REMOTE_ADDR"] = client_address(
                peer=meta.get("REMOTE_ADDR", ""), forwarded_for=forwarded_for, trusted=self.trusted
            )
        return self.get_response(request)


NUL_REFUSED = "La requête contient un caractère nul : elle a été refusée."


def _has_nul(querydict) -> bool:
    return any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in querydict.lists()
    )


class RejectNulBytesMiddleware:
    """Answer 400 to a query string or form holding a NUL character.

    PostgreSQL refuses NUL in text: a NUL in a search box, an admin filter or an autocomplete
    term would otherwise reach a query and fail as a 500. No form of the portal has a use for
    it. Uploaded files are not looked at: their bytes are not text.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return HttpResponseBadRequest(
                render_to_string("400.html", {"message": NUL_REFUSED}, request=None)
            )
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Mark every page served to a logged-in account ``Cache-Control: private, no-store``.

    Those pages name children, addresses and money: neither a shared proxy nor the browser's
    back-forward cache on a shared computer may keep them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        try:
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
        except DatabaseError:
            # The database went away during this request (a 503 is on its way): whoever
            # asked, the answer is not to be stored.
            signed_in = True
        if signed_in:
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Cookie"])
        return response


DATABASE_BUSY = (
    "Le service est très sollicité : rien n'a été enregistré. Réessayez dans quelques instants."
)


class DatabaseBusyMiddleware:
    """Answer a lock or statement timeout, or a lost database, with a French 503.

    The view's transaction was rolled back when the error left it, so the page can say that
    nothing was saved; Retry-After tells scripts when to come back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("Database busy or unavailable on %s: %s", request.path, exception)
        response = HttpResponse(
            render_to_string("503.html", {"message": DATABASE_BUSY}), status=503
        )
        response["Retry-After"] = "10"
        patch_cache_control(response, no_store=True)
        return response
