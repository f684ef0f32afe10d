from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("notices/", views.notices_page, name="notices"),
    path("notices/<int:notice_id>/read/", views.notice_read, name="notice_read"),
    path("notices/read-all/", views.notices_read_all, name="notices_read_all"),
    path("confirm/<str:token>/", views.confirm_email, name="confirm"),
]
