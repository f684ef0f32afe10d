"""API of the bulkimport app under /api/v1/schools/<slug>/import/; included by config/api_urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("jobs/", api.JobListView.as_view(), name="api-import-jobs"),
    path("jobs/<int:job_id>/", api.JobDetailView.as_view(), name="api-import-job"),
    path("jobs/<int:job_id>/confirm/", api.JobConfirmView.as_view(), name="api-import-confirm"),
    path("templates/<slug:kind>/", api.TemplateView.as_view(), name="api-import-template"),
    path("export/<slug:kind>/", api.ExportView.as_view(), name="api-import-export"),
]
