"""API endpoints of the roster app; included by config/api_urls.py under /api/v1/schools/<slug>/."""

from django.urls import URLPattern, path

from . import api

urlpatterns: list[URLPattern] = [
    path("classes/<int:class_id>/", api.ClassDetailView.as_view(), name="api-roster-class"),
    path("classes/<int:class_id>/subgroups/", api.SubgroupListView.as_view(), name="api-roster-subgroups"),
    path("classes/<int:class_id>/subgroups/split/", api.SplitView.as_view(), name="api-roster-split"),
    path("subgroups/<int:subgroup_id>/", api.SubgroupDetailView.as_view(), name="api-roster-subgroup"),
    path("subgroups/<int:subgroup_id>/members/", api.SubgroupMembersView.as_view(), name="api-roster-subgroup-members"),
    path("students/", api.StudentListView.as_view(), name="api-roster-students"),
    path("students/<int:student_id>/", api.StudentDetailView.as_view(), name="api-roster-student"),
    path("students/<int:student_id>/guardians/", api.GuardianListView.as_view(), name="api-roster-guardians"),
    path("students/<int:student_id>/guardians/<int:parent_id>/", api.GuardianDetailView.as_view(), name="api-roster-guardian"),
    path("parents/<int:parent_id>/", api.ParentDetailView.as_view(), name="api-roster-parent"),
    path("staff-cards/", api.StaffCardListView.as_view(), name="api-roster-staff-cards"),
    path("staff-cards/<int:person_id>/", api.StaffCardDetailView.as_view(), name="api-roster-staff-card"),
    path("orders/", api.OrderListView.as_view(), name="api-roster-orders"),
    path("movement/enrol/", api.EnrolView.as_view(), name="api-roster-enrol"),
    path("movement/transfer/", api.TransferView.as_view(), name="api-roster-transfer"),
    path("movement/leave/", api.LeaveView.as_view(), name="api-roster-leave"),
    path("personal-data/", api.PersonalDataView.as_view(), name="api-roster-personal-data"),
    path("personal-data/erase/", api.PersonalDataEraseView.as_view(), name="api-roster-personal-data-erase"),
]
