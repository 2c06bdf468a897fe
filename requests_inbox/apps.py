from django.apps import AppConfig


class RequestsInboxConfig(AppConfig):
    name = "requests_inbox"
    verbose_name = "Demandes des familles"
