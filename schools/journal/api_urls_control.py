"""API of the journal's control and end-of-period work under /api/v1/schools/<slug>/journal/;
included by config/api_urls.py."""

from django.urls import URLPattern, path

from . import api_control as a

urlpatterns: list[URLPattern] = [
    path("change-requests/", a.ChangeRequestListView.as_view(), name="api-journal-control-requests"),
    path("change-requests/<int:request_id>/", a.ChangeRequestDetailView.as_view(), name="api-journal-control-request"),
    path("change-requests/<int:request_id>/approve/", a.ChangeRequestApproveView.as_view(),
         name="api-journal-control-request-approve"),
    path("change-requests/<int:request_id>/reject/", a.ChangeRequestRejectView.as_view(),
         name="api-journal-control-request-reject"),
    path("final-marks/<int:class_id>/<int:subject_id>/", a.FinalMarksView.as_view(), name="api-journal-control-final-marks"),
    path("control/short/", a.ShortView.as_view(), name="api-journal-control-short"),
    path("control/lessons/", a.LessonsCheckView.as_view(), name="api-journal-control-lessons"),
    path("lessons/<int:lesson_id>/attendance-taken/", a.AttendanceTakenView.as_view(), name="api-journal-attendance-taken"),
    path("control/absences/", a.AbsencesView.as_view(), name="api-journal-control-absences"),
    path("control/absences/late-reasons/", a.LateReasonsView.as_view(), name="api-journal-control-late-reasons"),
    path("control/ktp/", a.KtpStatusView.as_view(), name="api-journal-control-ktp"),
    path("external-marks/", a.ExternalMarkView.as_view(), name="api-journal-control-external-marks"),
    path("notebook/", a.NotebookView.as_view(), name="api-journal-control-notebook"),
    path("notebook/<int:entry_id>/", a.NotebookEntryView.as_view(), name="api-journal-control-notebook-entry"),
    path("notebook/<int:entry_id>/move/", a.NotebookMoveView.as_view(), name="api-journal-control-notebook-move"),
    path("ktp/template/", a.KtpTemplateView.as_view(), name="api-journal-control-ktp-template"),
    path("ktp/<int:class_id>/<int:subject_id>/", a.KtpPlanView.as_view(), name="api-journal-control-ktp-plan"),
    path("ktp/<int:class_id>/<int:subject_id>/import/", a.KtpImportView.as_view(), name="api-journal-control-ktp-import"),
    path("activities/", a.ActivityListView.as_view(), name="api-journal-control-activities"),
    path("activities/<int:group_id>/", a.ActivityDetailView.as_view(), name="api-journal-control-activity"),
    path("activities/<int:group_id>/sessions/", a.ActivitySessionsView.as_view(), name="api-journal-control-activity-sessions"),
    path("settings/", a.SettingsView.as_view(), name="api-journal-control-settings"),
]
