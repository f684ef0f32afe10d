"""Pages of the roster app; included by config/school_urls.py under /s/<slug>/ (namespace "school")."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("classes/new/", views.class_new, name="roster-class-new"),
    path("classes/<int:class_id>/edit/", views.class_edit, name="roster-class-edit"),
    path("classes/<int:class_id>/subgroups/", views.subgroups, name="roster-subgroups"),
    path("students/", views.students, name="roster-students"),
    path("students/new/", views.student_new, name="roster-student-new"),
    path("students/<int:student_id>/", views.student_detail, name="roster-student"),
    path("students/<int:student_id>/edit/", views.student_edit, name="roster-student-edit"),
    path("students/<int:student_id>/guardians/", views.student_guardians, name="roster-student-guardians"),
    path("students/<int:student_id>/transfer/", views.student_transfer, name="roster-student-transfer"),
    path("students/<int:student_id>/leave/", views.student_leave, name="roster-student-leave"),
    path("orders/", views.orders, name="roster-orders"),
    path("parents/", views.parents, name="roster-parents"),
    path("parents/<int:parent_id>/", views.parent_detail, name="roster-parent"),
    path("staff-cards/", views.staff_cards, name="roster-staff-cards"),
    path("staff-cards/new/", views.staff_new, name="roster-staff-new"),
    path("staff-cards/<int:person_id>/", views.staff_card, name="roster-staff-card"),
    path("personal-data/", views.personal_data, name="roster-personal-data"),
]
