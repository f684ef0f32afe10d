"""API endpoints of the bulkimport app; included by config/api_urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
