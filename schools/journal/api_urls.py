"""API endpoints of the journal app; included by config/api_urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
