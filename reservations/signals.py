"""Drop the cached services and prestations of a collectivité when staff change them."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from reservations.models import Prestation, Service
from reservations.selectors.options import services_cache_key


@receiver(post_save, sender=Service)
@receiver(post_delete, sender=Service)
@receiver(post_save, sender=Prestation)
@receiver(post_delete, sender=Prestation)
def services_forget(sender, **kwargs) -> None:
    key = services_cache_key()
    cache.delete(key)
    # Again once committed: a page read meanwhile may have cached the rows being changed.
    transaction.on_commit(lambda: cache.delete(key))
