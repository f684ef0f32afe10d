from django.urls import path

from . import api

urlpatterns = [
    path("settings/", api.NotifySettingsView.as_view(), name="api-notify-settings"),
    path("email/", api.EmailView.as_view(), name="api-notify-email"),
    path("email/confirm/", api.EmailConfirmView.as_view(), name="api-notify-email-confirm"),
    path("notices/", api.NoticeListView.as_view(), name="api-notify-notices"),
    path("notices/read-all/", api.NoticeReadAllView.as_view(), name="api-notify-read-all"),
    path("notices/<int:notice_id>/read/", api.NoticeReadView.as_view(), name="api-notify-read"),
    path("push-subscriptions/", api.PushSubscriptionView.as_view(), name="api-notify-push"),
]
