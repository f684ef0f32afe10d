"""/api/v1/ — one API for the mobile and desktop clients; the pages call the same services."""

from django.urls import URLPattern, URLResolver, include, path

from accounts import api as accounts_api
from accounts import school_api
from diary import api as diary_api
from district import api as district_api
from messaging import across as messaging_across
from roster import api as roster_api

school_patterns: list[URLPattern | URLResolver] = [
    path("", school_api.SchoolInfoView.as_view(), name="api-school"),
    path("memberships/", school_api.MembershipListView.as_view(), name="api-memberships"),
    path("memberships/<int:membership_id>/", school_api.MembershipDetailView.as_view(), name="api-membership"),
    path("people/overdue/", school_api.OverdueView.as_view(), name="api-overdue"),
    path("classes/", roster_api.ClassListView.as_view(), name="api-classes"),
    path("classes/<int:class_id>/slips/", roster_api.IssueSlipsView.as_view(), name="api-slips"),
    path("audit/", school_api.SchoolAuditView.as_view(), name="api-school-audit"),
    path("year/", include("schoolyear.api_urls")),
    path("", include("roster.api_urls")),
    path("curriculum/", include("curriculum.api_urls")),
    path("timetable/", include("timetable.api_urls")),
    path("import/", include("bulkimport.api_urls")),
    path("journal/", include("journal.api_urls")),
    path("journal/", include("journal.api_urls_control")),
    path("diary/", include("diary.api_urls")),
    path("messages/", include("messaging.api_urls")),
]

urlpatterns = [
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("diary/children/", diary_api.DiaryChildrenView.as_view(), name="api-diary-children"),
    path("notify/", include("notify.api_urls")),
    path("messages/summary/", messaging_across.SummaryView.as_view(), name="api-messaging-summary"),
    path("auth/token/", accounts_api.ObtainTokenView.as_view(), name="api-token"),
    path("auth/tokens/", accounts_api.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:token_id>/", accounts_api.TokenDetailView.as_view(), name="api-token-detail"),
    path("auth/activate/", accounts_api.ActivateView.as_view(), name="api-activate"),
    path("sessions/", accounts_api.SessionListView.as_view(), name="api-sessions"),
    path("sessions/<str:key>/", accounts_api.SessionDetailView.as_view(), name="api-session"),
    path("district/schools/", district_api.SchoolListView.as_view(), name="api-district-schools"),
    path("district/schools/<slug:slug>/", district_api.SchoolDetailView.as_view(), name="api-district-school"),
    path("district/schools/<slug:slug>/status/", district_api.SchoolStatusView.as_view(), name="api-district-school-status"),
    path("district/schools/<slug:slug>/admins/", district_api.SchoolAdminView.as_view(), name="api-district-school-admins"),
    path("district/audit/", district_api.DistrictAuditView.as_view(), name="api-district-audit"),
    path("schools/<slug:school_slug>/", include(school_patterns)),
]
