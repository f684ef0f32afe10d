"""Pages inside one school: /s/<school_slug>/… (the middleware has selected its schema)."""

from django.urls import include, path

from accounts import school_views
from audit import views as audit_views
from roster import views as roster_views
from tenants import views as tenant_views

app_name = "school"
urlpatterns = [
    path("", tenant_views.school_home, name="home"),
    path("staff/", school_views.staff, name="staff"),
    path("staff/<int:membership_id>/revoke/", school_views.revoke, name="revoke"),
    path("people/overdue/", school_views.overdue, name="overdue"),
    path("classes/", roster_views.class_list, name="classes"),
    path("classes/<int:class_id>/", roster_views.class_detail, name="class_detail"),
    path("classes/<int:class_id>/slips/", roster_views.issue_slips, name="issue_slips"),
    path("audit/", audit_views.school_log, name="audit"),
    # School set-up, one URLconf per app (names stay in the "school" namespace).
    path("year/", include("schoolyear.urls")),
    path("", include("roster.urls")),
    path("curriculum/", include("curriculum.urls")),
    path("timetable/", include("timetable.urls")),
    path("import/", include("bulkimport.urls")),
    path("journal/", include("journal.urls")),
    path("journal/", include("journal.urls_control")),
    path("diary/", include("diary.urls")),
    path("messages/", include("messaging.urls")),
]
