"""API of the curriculum app under /api/v1/schools/<slug>/curriculum/; included by config/api_urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("areas/", api.AreaListView.as_view(), name="api-curriculum-areas"),
    path("areas/<int:area_id>/", api.AreaDetailView.as_view(), name="api-curriculum-area"),
    path("subjects/", api.SubjectListView.as_view(), name="api-curriculum-subjects"),
    path("subjects/<int:subject_id>/", api.SubjectDetailView.as_view(), name="api-curriculum-subject"),
    path("lines/", api.LineListView.as_view(), name="api-curriculum-lines"),
    path("lines/<int:line_id>/", api.LineDetailView.as_view(), name="api-curriculum-line"),
    path("classes/<int:class_id>/", api.ClassPlanView.as_view(), name="api-curriculum-class"),
    path("parallels/<int:grade>/", api.ParallelView.as_view(), name="api-curriculum-parallel"),
    path("assignments/", api.AssignmentListView.as_view(), name="api-curriculum-assignments"),
    path("assignments/<int:assignment_id>/", api.AssignmentDetailView.as_view(), name="api-curriculum-assignment"),
    path("check/", api.LoadCheckView.as_view(), name="api-curriculum-check"),
]
