"""API endpoints of the schoolyear app under /api/v1/schools/<slug>/year/; included by
config/api_urls.py."""

from django.urls import URLPattern, path

from . import api

urlpatterns: list[URLPattern] = [
    path("", api.YearListView.as_view(), name="api-year-list"),
    path("calendar/", api.CalendarView.as_view(), name="api-year-calendar"),
    path("close/", api.CloseView.as_view(), name="api-year-close"),
    path("<int:year_id>/", api.YearDetailView.as_view(), name="api-year-detail"),
    path("<int:year_id>/periods/", api.SchemeListView.as_view(), name="api-year-periods"),
    path("<int:year_id>/periods/<int:scheme_id>/", api.SchemeDetailView.as_view(), name="api-year-period-scheme"),
    path("<int:year_id>/days-off/", api.DayOffListView.as_view(), name="api-year-days-off"),
    path("<int:year_id>/days-off/<int:day_off_id>/", api.DayOffDetailView.as_view(), name="api-year-day-off"),
    path("<int:year_id>/moved-days/", api.MovedDayListView.as_view(), name="api-year-moved-days"),
    path("<int:year_id>/moved-days/<int:moved_day_id>/", api.MovedDayDetailView.as_view(), name="api-year-moved-day"),
    path("<int:year_id>/week/", api.WeekView.as_view(), name="api-year-week"),
    path("<int:year_id>/reopen/", api.ReopenView.as_view(), name="api-year-reopen"),
]
