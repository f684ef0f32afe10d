"""API of the timetable app under /api/v1/schools/<slug>/timetable/; included by config/api_urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("bells/", api.BellListView.as_view(), name="api-timetable-bells"),
    path("bells/<int:schedule_id>/", api.BellScheduleView.as_view(), name="api-timetable-bell-schedule"),
    path("entries/", api.EntryListView.as_view(), name="api-timetable-entries"),
    path("entries/<int:entry_id>/", api.EntryDetailView.as_view(), name="api-timetable-entry"),
    path("week/classes/<int:class_id>/", api.ClassWeekView.as_view(), name="api-timetable-class-week"),
    path("week/teachers/<int:person_id>/", api.TeacherWeekView.as_view(), name="api-timetable-teacher-week"),
    path("lessons/", api.LessonsView.as_view(), name="api-timetable-lessons"),
    path("check/", api.CheckView.as_view(), name="api-timetable-check"),
    path("events/", api.EventListView.as_view(), name="api-timetable-events"),
    path("events/<int:event_id>/", api.EventDetailView.as_view(), name="api-timetable-event"),
    path("substitutions/", api.SubstitutionListView.as_view(), name="api-timetable-substitutions"),
    path("substitutions/<int:substitution_id>/", api.SubstitutionDetailView.as_view(), name="api-timetable-substitution"),
]
