"""Pages of the journal's control and end-of-period work under /s/<slug>/journal/ (namespace
"school"); included by config/school_urls.py."""

from django.urls import URLPattern, path

from . import views_control as v

urlpatterns: list[URLPattern] = [
    # the deputy's control (R-J05, R-J02, R-J12, R-J13)
    path("control/", v.control_home, name="journal-control-home"),
    path("control/lessons/", v.control_lessons, name="journal-control-lessons"),
    path("control/absences/", v.control_absences, name="journal-control-absences"),
    path("control/ktp/", v.control_ktp, name="journal-control-ktp"),
    path("control/short/", v.control_short, name="journal-control-short"),
    # change requests «Замена сведений в электронном журнале» (R-J08)
    path("requests/", v.request_list, name="journal-requests"),
    path("requests/new/", v.request_new, name="journal-request-new"),
    path("requests/new/<int:lesson_id>/", v.request_file, name="journal-request-file"),
    path("requests/new/lesson/", v.request_slot, name="journal-request-slot"),
    path("requests/new/final/<int:class_id>/<int:subject_id>/", v.request_final, name="journal-request-final"),
    path("requests/register/", v.request_register, name="journal-request-register"),
    path("requests/<int:request_id>/", v.request_detail, name="journal-request"),
    # period, year, exam and final marks (R-J11, R-J12)
    path("final/class/<int:class_id>/", v.final_class, name="journal-final-class"),
    path("final/<int:class_id>/<int:subject_id>/", v.final_marks, name="journal-final-marks"),
    # marks from elsewhere (R-J09), the notebook (R-J10)
    path("external/<int:lesson_id>/", v.external_mark, name="journal-external-mark"),
    path("notebook/", v.notebook_page, name="journal-notebook"),
    # the calendar-thematic plan (R-J13)
    path("ktp/", v.ktp_list, name="journal-ktp-list"),
    path("ktp/<int:class_id>/<int:subject_id>/", v.ktp_plan, name="journal-ktp-plan"),
    # extracurricular activities (R-J15)
    path("activities/", v.activity_list, name="journal-activities"),
    path("activities/<int:group_id>/", v.activity_detail, name="journal-activity"),
    # the school's journal settings
    path("settings/", v.settings_page, name="journal-settings"),
]
