from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The current school and the person's schools, for the header and switcher."""
    user = getattr(request, "user", None)
    school = getattr(request, "school", None)
    if user is None or not user.is_authenticated:
        return {"current_school": school}
    from accounts.selectors import access_for

    access = access_for(user)
    return {"current_school": school, "access": access}
