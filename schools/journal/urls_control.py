"""Pages of the journal app; included by config/school_urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
