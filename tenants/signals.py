"""Drop cached host lookups when a domain or a collectivité changes."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from tenants.middleware import host_cache_key
from tenants.models import Collectivite, Domain


@receiver(pre_save, sender=Domain)
def domain_forget_old_name(sender, instance: Domain, **kwargs) -> None:
    if instance.pk:
        old = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old:
            cache.delete(host_cache_key(old))


@receiver(post_save, sender=Domain)
@receiver(post_delete, sender=Domain)
def domain_forget(sender, instance: Domain, **kwargs) -> None:
    cache.delete(host_cache_key(instance.domain))


@receiver(post_save, sender=Collectivite)
@receiver(post_delete, sender=Collectivite)
def collectivite_forget(sender, instance: Collectivite, **kwargs) -> None:
    names = Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True)
    cache.delete_many([host_cache_key(name) for name in names])
