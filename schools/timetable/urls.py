"""Pages of the timetable app under /s/<slug>/timetable/ (names in the "school" namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="timetable-index"),
    path("classes/<int:class_id>/", views.class_week, name="timetable-class"),
    path("classes/<int:class_id>/edit/", views.edit, name="timetable-edit"),
    path("teachers/<int:person_id>/", views.teacher_week, name="timetable-teacher"),
    path("check/", views.check, name="timetable-check"),
    path("bells/", views.bells, name="timetable-bells"),
    path("events/", views.events, name="timetable-events"),
    path("events/<int:event_id>/", views.event, name="timetable-event"),
    path("substitutions/", views.substitutions, name="timetable-substitutions"),
    path("substitutions/<int:substitution_id>/", views.substitution, name="timetable-substitution"),
]
