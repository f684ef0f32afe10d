"""Pages of the journal app; included by config/school_urls.py under /s/<slug>/journal/ (namespace "school")."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.journal_home, name="journal-home"),
    path("today/", views.today, name="journal-today"),
    path("lessons/new/<int:class_id>/<int:subject_id>/<str:day>/<int:number>/", views.lesson_new, name="journal-lesson-new"),
    path("lessons/<int:lesson_id>/", views.lesson_page, name="journal-lesson"),
    path("absences/<int:class_id>/", views.absences, name="journal-absences"),
    path("<int:class_id>/<int:subject_id>/", views.grid, name="journal-grid"),
]
