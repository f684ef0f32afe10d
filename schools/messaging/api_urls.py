"""The messaging API; included by config/api_urls.py under /api/v1/schools/<slug>/messages/."""

from django.urls import URLPattern, path

from . import api

urlpatterns: list[URLPattern] = [
    path("conversations/", api.ConversationListView.as_view(), name="api-messaging-conversations"),
    path("conversations/<int:conversation_id>/", api.ConversationDetailView.as_view(), name="api-messaging-conversation"),
    path("conversations/<int:conversation_id>/messages/", api.MessageCreateView.as_view(), name="api-messaging-reply"),
    path("conversations/<int:conversation_id>/read/", api.ConversationReadView.as_view(), name="api-messaging-read"),
    path("recipients/", api.RecipientsView.as_view(), name="api-messaging-recipients"),
    path("unread/", api.UnreadView.as_view(), name="api-messaging-unread"),
    path("messages/<int:message_id>/report/", api.ReportMessageView.as_view(), name="api-messaging-report"),
    path("attachments/<int:attachment_id>/", api.AttachmentView.as_view(), name="api-messaging-attachment"),
    path("announcements/", api.AnnouncementListView.as_view(), name="api-messaging-announcements"),
    path("announcements/<int:announcement_id>/", api.AnnouncementDetailView.as_view(), name="api-messaging-announcement"),
    path("announcements/<int:announcement_id>/read/", api.AnnouncementReadView.as_view(), name="api-messaging-announcement-read"),
    path("reports/", api.ReportListView.as_view(), name="api-messaging-reports"),
    path("reports/<int:report_id>/resolve/", api.ReportResolveView.as_view(), name="api-messaging-resolve"),
]
