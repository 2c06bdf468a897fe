"""A family's own account pages on a collectivité's domain: profile, children, personal data."""

from django.urls import path

urlpatterns: list = []
