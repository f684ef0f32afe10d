"""Pages of the schoolyear app, under /s/<slug>/year/; included by config/school_urls.py
(names live in the "school" namespace)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.year_home, name="year-home"),
    path("close/", views.close, name="year-close"),
    path("reopen/", views.reopen, name="year-reopen"),
]
