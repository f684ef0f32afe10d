"""Pages of the bulkimport app under /s/<slug>/import/; included by config/school_urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="import-home"),
    path("jobs/<int:job_id>/", views.job_detail, name="import-job"),
    path("jobs/<int:job_id>/confirm/", views.job_confirm, name="import-confirm"),
]
