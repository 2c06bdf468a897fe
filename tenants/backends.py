"""Authentication by e-mail; permissions from the staff role in the current collectivité."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from tenants import rules
from tenants.selectors import membership_role


class EmailRoleBackend(ModelBackend):
    """Log in by e-mail and password; answer permission checks from the tenant role only.

    Global Django permissions and groups are not used: a person's rights depend on the
    collectivité whose domain they are on, so the same account may be an agent here and
    a parent there. Superusers keep every right (PermissionsMixin answers before us).
    """

    def _role(self, user_obj) -> str | None:
        tenant = getattr(connection, "tenant", None)
        if not user_obj.is_active or tenant is None or getattr(tenant, "is_public", True):
            return None
        return membership_role(user=user_obj, collectivite=tenant)

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        # The admin only asks has_perm / has_module_perms; listing every permission of a
        # role is not needed anywhere, so none are materialised here.
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return rules.role_allows(self._role(user_obj), perm)

    def has_module_perms(self, user_obj, app_label):
        return rules.role_allows_module(self._role(user_obj), app_label)
