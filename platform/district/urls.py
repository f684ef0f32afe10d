from django.urls import path

from audit import views as audit_views

from . import views

app_name = "district"
urlpatterns = [
    path("", views.schools, name="schools"),
    path("schools/<slug:slug>/", views.school, name="school"),
    path("audit/", audit_views.district_log, name="audit"),
]
