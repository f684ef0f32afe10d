from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The current school and the person's schools, for the header and switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_school": None}
    from accounts.selectors import access_for

    access = access_for(user)
    school = getattr(request, "school", None)
    # A refused outsider's error page must not show even the school's name.
    if school is not None and not access.is_member_of(school):
        school = None
    return {"current_school": school, "access": access}
