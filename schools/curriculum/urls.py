"""Pages of the curriculum app under /s/<slug>/curriculum/ (names in the "school" namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="curriculum-index"),
    path("subjects/", views.subjects, name="curriculum-subjects"),
    path("subjects/<int:subject_id>/", views.subject, name="curriculum-subject"),
    path("areas/<int:area_id>/", views.area, name="curriculum-area"),
    path("classes/<int:class_id>/", views.class_plan, name="curriculum-class"),
    path("parallels/<int:grade>/", views.parallel, name="curriculum-parallel"),
    path("load/", views.load, name="curriculum-load"),
    path("load/<int:assignment_id>/", views.assignment, name="curriculum-assignment"),
]
