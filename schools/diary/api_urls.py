"""API of the diary; included by config/api_urls.py under /api/v1/schools/<slug>/diary/."""

from django.urls import URLPattern, path

from . import api

urlpatterns: list[URLPattern] = [
    path("<int:child_id>/week/", api.DiaryWeekView.as_view(), name="api-diary-week"),
    path("<int:child_id>/marks/", api.DiaryMarksView.as_view(), name="api-diary-marks"),
    path("<int:child_id>/homework/", api.DiaryHomeworkView.as_view(), name="api-diary-homework"),
    path("<int:child_id>/forecast/", api.DiaryForecastView.as_view(), name="api-diary-forecast"),
]
