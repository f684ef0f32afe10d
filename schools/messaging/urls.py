"""Pages of messages; included by config/school_urls.py under /s/<slug>/messages/ (namespace "school")."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.inbox, name="messaging-inbox"),
    path("new/", views.new_conversation, name="messaging-new"),
    path("<int:conversation_id>/", views.conversation, name="messaging-conversation"),
    path("m/<int:message_id>/report/", views.report, name="messaging-report"),
    path("files/<int:attachment_id>/", views.attachment, name="messaging-attachment"),
    path("announcements/", views.announcements, name="messaging-announcements"),
    path("announcements/new/", views.announcement_new, name="messaging-announcement-new"),
    path("announcements/<int:announcement_id>/", views.announcement, name="messaging-announcement"),
    path("reports/", views.reports, name="messaging-reports"),
    path("reports/<int:report_id>/resolve/", views.resolve, name="messaging-resolve"),
]
