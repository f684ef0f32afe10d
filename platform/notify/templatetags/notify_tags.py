"""`{% notify_bounce_banner %}` (in base.html): on the family's home and diary pages, a banner
while the mail server refuses their address (R-D03, R-D09: nothing lost, the family told to fix
it). One query on those pages for a family person, none anywhere else; staff see it on their
notices page only."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

# The pages a family opens: the switcher, the diary's entry, a child's week and marks, the notices.
BANNER_VIEWS = frozenset({"accounts:home", "diary:home", "school:diary-week", "school:diary-marks", "notify:notices"})
STAFF_BANNER_VIEWS = frozenset({"notify:notices"})


def bounced_address(request: Any) -> str | None:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or match.view_name not in BANNER_VIEWS or user is None or not user.is_authenticated:
        return None
    from accounts.roles import FAMILY_ROLES
    from accounts.selectors import access_for

    roles = access_for(user).all_roles  # computed once a request (the header needs it too)
    if not (roles & FAMILY_ROLES) and not (roles and match.view_name in STAFF_BANNER_VIEWS):
        return None
    from notify.models import ContactEmail

    address: str | None = ContactEmail.objects.filter(person_id=user.pk, bounced_at__isnull=False).values_list(
        "address", flat=True).first()
    return address


@register.inclusion_tag("notify/_bounce_banner.html", takes_context=True)
def notify_bounce_banner(context: template.Context) -> dict[str, Any]:
    return {"bounced_address": bounced_address(context.get("request"))}
