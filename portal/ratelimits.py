"""How often a form that writes or sends e-mail may be posted (django-ratelimit).

Each limit counts POSTs in the shared cache, per IP address (REMOTE_ADDR, the real client's
behind the trusted proxy) or per account. Past it the view is not run and the visitor reads
« Trop de demandes » (portal.views.rate_limited, status 429). While the cache is down the
limits cannot count and let requests through: the login lockout (django-axes, in the
database) still holds.
"""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

SIGNUP_PER_IP = "10/h"
PASSWORD_RESET_PER_IP = "10/h"
PASSWORD_RESET_PER_ADDRESS = "3/h"
REQUESTS_PER_ACCOUNT = "20/h"
MESSAGES_PER_ACCOUNT = "60/h"

signup_limit = ratelimit(group="signup", key="ip", rate=SIGNUP_PER_IP, method="POST")


def password_reset_limit(view_class):
    """Limit reset e-mails per address asked for and per IP address."""
    for decorator in (
        ratelimit(group="password-reset", key="ip", rate=PASSWORD_RESET_PER_IP, method="POST"),
        ratelimit(
            group="password-reset-address",
            key="post:email",
            rate=PASSWORD_RESET_PER_ADDRESS,
            method="POST",
        ),
    ):
        view_class = method_decorator(decorator, name="dispatch")(view_class)
    return view_class


request_limit = ratelimit(
    group="request-new", key="user_or_ip", rate=REQUESTS_PER_ACCOUNT, method="POST"
)
message_limit = ratelimit(
    group="request-message", key="user_or_ip", rate=MESSAGES_PER_ACCOUNT, method="POST"
)
