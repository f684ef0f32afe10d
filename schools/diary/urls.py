"""Pages of the diary inside a school; included by config/school_urls.py under /s/<slug>/diary/ (namespace "school")."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("<int:child_id>/", views.week, name="diary-week"),
    path("<int:child_id>/marks/", views.marks, name="diary-marks"),
]
