from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import Perm, Role
from core.access import access_school
from core.views import page
from messaging.views import home_tile as messaging_tile


@page
def school_home(request: HttpRequest, school_slug: str) -> HttpResponse:
    """The school's start page: what this person can do here."""
    school, access = access_school(request)
    perms = access.perms_in(school)
    entry = access.schools.get(school.pk)
    return render(request, "tenants/school_home.html", {
        "school": school,
        "roles": entry.role_labels if entry else ["Администратор района"],
        "can_staff": Perm.MANAGE_STAFF in perms,
        "can_audit": Perm.VIEW_AUDIT in perms,
        "can_people": Perm.VIEW_PEOPLE in perms,
        "can_manage_people": Perm.MANAGE_PEOPLE in perms,
        "class_teacher": bool(entry and entry.class_teacher_of),
        # Lists of people need IMPORT_DATA; the set-up lists only their own rights (bulkimport.services.kinds_for).
        "can_import": bool(perms & {Perm.IMPORT_DATA, Perm.MANAGE_CURRICULUM, Perm.MANAGE_TIMETABLE, Perm.MANAGE_CLASSES}),
        "can_setup_year": Perm.SETUP_YEAR in perms,
        "can_load": Perm.VIEW_PEOPLE in perms or Perm.MANAGE_CURRICULUM in perms,
        "can_curriculum": Perm.VIEW_PEOPLE in perms or Perm.MANAGE_CURRICULUM in perms
        or bool(entry and entry.roles & {Role.TEACHER, Role.CLASS_TEACHER}),
        "can_timetable": Perm.MANAGE_TIMETABLE in perms,
        "can_journal_day": Perm.JOURNAL_WRITE in perms,
        "can_journal": Perm.JOURNAL_WRITE in perms or Perm.JOURNAL_READ_ALL in perms,
        "can_journal_control": Perm.JOURNAL_CONTROL in perms,
        "messaging_tile": messaging_tile(request, school),
    })
