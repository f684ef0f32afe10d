"""API endpoints of the journal app; included by config/api_urls.py under /api/v1/schools/<slug>/journal/."""

from django.urls import URLPattern, path

from . import api, api_activities, api_attachments, api_settings

urlpatterns: list[URLPattern] = [
    path("my-day/", api.MyDayView.as_view(), name="api-journal-my-day"),
    path("work-types/", api.WorkTypeListView.as_view(), name="api-journal-work-types"),
    path("lessons/", api.LessonListView.as_view(), name="api-journal-lessons"),
    path("lessons/<int:lesson_id>/", api.LessonDetailView.as_view(), name="api-journal-lesson"),
    path("lessons/<int:lesson_id>/works/", api.WorkListView.as_view(), name="api-journal-works"),
    path("lessons/<int:lesson_id>/individual-homework/", api.IndividualHomeworkView.as_view(), name="api-journal-individual-homework"),
    path("lessons/<int:lesson_id>/attachments/", api_attachments.LessonAttachmentListView.as_view(),
         name="api-journal-lesson-attachments"),
    path("attachments/<int:attachment_id>/", api_attachments.LessonAttachmentView.as_view(), name="api-journal-lesson-attachment"),
    path("marks/", api.MarkView.as_view(), name="api-journal-marks"),
    path("attendance/", api.AttendanceView.as_view(), name="api-journal-attendance"),
    path("attendance/<int:attendance_id>/reason/", api.AbsenceReasonView.as_view(), name="api-journal-absence-reason"),
    path("absences/<int:class_id>/", api.AbsenceListView.as_view(), name="api-journal-absences"),
    path("grid/<int:class_id>/<int:subject_id>/", api.GridView.as_view(), name="api-journal-grid"),
    path("grid/<int:class_id>/<int:subject_id>/lessons/", api.ClassLessonListView.as_view(), name="api-journal-class-lessons"),
    # work types and their weights (R-J03), set by the school
    path("settings/work-types/", api_settings.WorkTypeSettingsView.as_view(), name="api-journal-settings-work-types"),
    path("settings/work-types/<int:work_type_id>/", api_settings.WorkTypeSettingView.as_view(), name="api-journal-settings-work-type"),
    # members of an extracurricular group, dated (R-J15)
    path("activities/<int:group_id>/members/", api_activities.ActivityMembersView.as_view(), name="api-journal-activity-members"),
    path("activities/<int:group_id>/members/<int:student_id>/leave/", api_activities.ActivityMemberLeaveView.as_view(),
         name="api-journal-activity-member-leave"),
]
