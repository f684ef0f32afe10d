from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from notify import views as notify_views
from public_portal import views as portal_views

urlpatterns = [
    path("", portal_views.landing, name="landing"),
    path("", include("accounts.urls")),
    path("district/", include("district.urls")),
    path("diary/", include("diary.family_urls")),
    path("notify/", include("notify.urls")),
    # The push service worker must be served from the root to cover the whole site.
    path("sw.js", notify_views.service_worker, name="service-worker"),
    path("messages/", include("messaging.family_urls")),
    path("s/<slug:school_slug>/", include("config.school_urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/", include("core.health")),
]
