"""The family's entry page, outside any school: /diary/ lists the children of every school."""

from django.urls import URLPattern, path

from . import views

app_name = "diary"
urlpatterns: list[URLPattern] = [
    path("", views.family_home, name="home"),
]
