"""The admin's titles in French, with the right article and agreement (portal.french).

Django's French translation builds « Ajout de actualité », « Modification de enfant »,
« Supprimer les réservations sélectionnés » from the model's name. Every ModelAdmin the
portal's admin sites register gets this mixin (portal.admin_sites), so every page reads
« Ajout d'une actualité », « Modification de l'enfant », « Supprimer les réservations
sélectionnées », and the lists are titled by their plural (« Enfants »).
"""

from __future__ import annotations

from django.contrib.admin.actions import delete_selected

from portal import french


class FrenchTitlesMixin:
    def _noun(self) -> str:
        return str(self.opts.verbose_name)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        noun = self._noun()
        if add:
            context["title"] = f"Ajout {french.of_a(noun)}"
        elif self.has_change_permission(request, obj):
            context["title"] = f"Modification {french.of_the(noun)}"
        else:
            context["title"] = f"Consultation {french.of_the(noun)}"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        plural = str(self.opts.verbose_name_plural)
        extra_context = {
            "title": plural[:1].upper() + plural[1:],
            "add_label": f"Ajouter {french.a(self._noun())}",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        extra_context = {
            "title": f"Suppression {french.of_the(self._noun())}",
            **(extra_context or {}),
        }
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            plural = str(self.opts.verbose_name_plural)
            selected = french.agree("sélectionné", self._noun(), plural=True)
            actions["delete_selected"] = (
                delete_selected,
                "delete_selected",
                f"Supprimer les {plural} {selected}",
            )
        return actions


def with_french_titles(admin_class):
    """Return ``admin_class`` with FrenchTitlesMixin first (itself if it has it)."""
    if issubclass(admin_class, FrenchTitlesMixin):
        return admin_class
    return type(
        admin_class.__name__,
        (FrenchTitlesMixin, admin_class),
        {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
    )
