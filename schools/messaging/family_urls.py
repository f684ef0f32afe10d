"""The person's messages across their schools; included by config/urls.py under /messages/."""

from django.urls import URLPattern, path

from . import across

urlpatterns: list[URLPattern] = [
    path("", across.all_schools, name="messaging-all"),
]
