"""API endpoints of the timetable app; included by config/api_urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
