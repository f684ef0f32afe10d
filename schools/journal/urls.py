"""Pages of the journal app; included by config/school_urls.py under /s/<slug>/journal/ (namespace "school")."""

from django.urls import URLPattern, path

from . import views, views_attachments, views_settings

urlpatterns: list[URLPattern] = [
    path("", views.journal_home, name="journal-home"),
    path("today/", views.today, name="journal-today"),
    path("lessons/new/<int:class_id>/<int:subject_id>/<str:day>/<int:number>/", views.lesson_new, name="journal-lesson-new"),
    path("lessons/<int:lesson_id>/", views.lesson_page, name="journal-lesson"),
    path("lessons/<int:lesson_id>/files/", views_attachments.lesson_files, name="journal-lesson-files"),
    path("files/<int:attachment_id>/", views_attachments.lesson_file, name="journal-lesson-file"),
    path("files/<int:attachment_id>/delete/", views_attachments.lesson_file_delete, name="journal-lesson-file-delete"),
    path("absences/<int:class_id>/", views.absences, name="journal-absences"),
    path("<int:class_id>/<int:subject_id>/", views.grid, name="journal-grid"),
    # work types and their weights, a section of the settings page (R-J03)
    path("settings/work-types/", views_settings.work_type_add, name="journal-work-type-add"),
    path("settings/work-types/<int:work_type_id>/", views_settings.work_type_edit, name="journal-work-type"),
    # members of an extracurricular group, dated (R-J15)
    path("activities/<int:group_id>/members/", views_settings.member_add, name="journal-activity-member-add"),
    path("activities/<int:group_id>/members/<int:student_id>/leave/", views_settings.member_leave,
         name="journal-activity-member-leave"),
]
