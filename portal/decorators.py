"""Access rules of parent pages on a collectivité's domain."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tenants.selectors import membership_role, user_has_adhesion

NOT_A_FAMILY_HERE = (
    "Votre compte n'est pas rattaché à cette collectivité. Si vous avez reçu un code "
    "d'adhésion, saisissez-le depuis « Gérer mes abonnements »."
)


def family_required(view):
    """Admit a logged-in account that joined this collectivité (or is its staff); 403 otherwise."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        tenant = request.tenant
        if not (
            user_has_adhesion(user=user, collectivite=tenant)
            or membership_role(user=user, collectivite=tenant)
        ):
            raise PermissionDenied(NOT_A_FAMILY_HERE)
        return view(request, *args, **kwargs)

    return wrapped


NO_FOYER_HERE = "Aucun foyer n'est rattaché à votre compte dans cette collectivité."


def foyer_required_by(load_foyer):
    """Return a decorator that admits a family of this collectivité and passes its foyer.

    ``load_foyer(user=...)`` returns the account's foyer with what the pages need already
    loaded (each page its own selector, so its query count stays fixed); no foyer here is a
    404, after ``family_required`` has answered login and 403.
    """

    def decorator(view):
        @family_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            foyer = load_foyer(user=request.user)
            if foyer is None:
                raise Http404(NO_FOYER_HERE)
            return view(request, *args, foyer=foyer, **kwargs)

        return wrapped

    return decorator
