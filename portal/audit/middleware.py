"""Who made a change, from which address, in which request: django-auditlog's middleware.

Recording is on in the admin sites (staff changes) and outside requests (management
commands, tasks: no actor), off on the families' pages, whose own history is kept where it
belongs (BookingEvent for bookings) and which must not pay a query per click for it.
"""

from __future__ import annotations

from auditlog.context import auditlog_disabled, set_extra_data
from auditlog.middleware import AuditlogMiddleware


class AuditMiddleware(AuditlogMiddleware):
    @staticmethod
    def _get_remote_addr(request):
        # The proxy handling (a middleware before this one) has already put the client's
        # address in REMOTE_ADDR; a header here would be whatever the client claims.
        return request.META.get("REMOTE_ADDR")

    @staticmethod
    def _get_actor(request):
        # The lazy request.user: read only if an entry is written (auditlog checks its class
        # then), so pages that change nothing never load the account for this.
        return getattr(request, "user", None)

    def __call__(self, request):
        token = auditlog_disabled.set(True)
        try:
            with set_extra_data(context_data=self.get_extra_data(request)):
                return self.get_response(request)
        finally:
            auditlog_disabled.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # AdminSite views carry their site, ModelAdmin views their model admin.
        if hasattr(view_func, "admin_site") or hasattr(view_func, "model_admin"):
            auditlog_disabled.set(False)
