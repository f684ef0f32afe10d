from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("home/", views.home, name="home"),
    path("account/2fa/", views.two_factor, name="two_factor"),
    path("account/2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("account/activate/", views.activate, name="activate"),
    path("account/sessions/", views.sessions, name="sessions"),
    path("account/password/", views.password_change, name="password_change"),
]
