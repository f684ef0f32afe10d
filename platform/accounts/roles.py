"""Roles, what each may do, and who may grant what (R-P03, R-P04, R-P05).

A grant is allowed only when the granter's table below names the role AND the role's
permissions are a subset of the granter's own in that scope: nobody grants a role
wider than their own, whatever the table says.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", "Администратор района"
    DISTRICT_ANALYST = "district_analyst", "Аналитик района"
    SCHOOL_ADMIN = "school_admin", "Администратор ЭЖ школы"
    DIRECTOR = "director", "Директор"
    DEPUTY = "deputy", "Заместитель директора по УВР"
    METHODIST = "methodist", "Методист"
    TEACHER = "teacher", "Учитель"
    CLASS_TEACHER = "class_teacher", "Классный руководитель"
    HR_CLERK = "hr_clerk", "Специалист по кадрам"
    SECRETARY = "secretary", "Секретарь"
    PARENT = "parent", "Родитель (законный представитель)"
    STUDENT = "student", "Обучающийся"


DISTRICT_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST})
SCHOOL_ROLES = frozenset(set(Role) - DISTRICT_ROLES)
FAMILY_ROLES = frozenset({Role.PARENT, Role.STUDENT})
STAFF_ROLES = frozenset(SCHOOL_ROLES - FAMILY_ROLES)
# 2FA is mandatory for these (ARCHITECTURE.md "Admin roles must use TOTP").
TWO_FACTOR_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.DIRECTOR, Role.DEPUTY})


class Perm(models.TextChoices):
    # district scope
    MANAGE_SCHOOLS = "district.manage_schools", "Создавать и закрывать школы"
    VIEW_DISTRICT_STATS = "district.view_stats", "Видеть статистику района"
    VIEW_DISTRICT_AUDIT = "district.view_audit", "Читать журнал действий района"
    # school scope
    MANAGE_STAFF = "school.manage_staff", "Назначать роли сотрудникам"
    VIEW_AUDIT = "school.view_audit", "Читать журнал действий школы"
    MANAGE_SETTINGS = "school.manage_settings", "Менять настройки школы"
    VIEW_PEOPLE = "school.view_people", "Видеть списки людей школы"
    ISSUE_ACCOUNTS = "school.issue_accounts", "Выдавать учётные записи семьям"
    APPROVE_ORDERS = "school.approve_orders", "Подписывать приказы"
    JOURNAL_CONTROL = "journal.control", "Контролировать журнал"
    JOURNAL_READ_ALL = "journal.read_all", "Читать все журналы школы"
    JOURNAL_WRITE = "journal.write", "Вести журнал своих классов"
    SUMMARY_REPORTS = "reports.summary", "Сводные отчёты"
    # school set-up (seed 004 §II–§VII, §X)
    SETUP_YEAR = "school.setup_year", "Учебный год, периоды, каникулы, переносы дней"
    MANAGE_CLASSES = "school.manage_classes", "Классы, подгруппы, классные руководители"
    MANAGE_PEOPLE = "school.manage_people", "Личные карты обучающихся, родителей, сотрудников"
    MOVEMENT = "school.movement", "Приказы о движении обучающихся"
    MANAGE_CURRICULUM = "school.manage_curriculum", "Учебный план и нагрузка"
    MANAGE_TIMETABLE = "school.manage_timetable", "Расписание, мероприятия, замены"
    IMPORT_DATA = "school.import", "Импорт и экспорт списков"
    MANAGE_KTP = "journal.manage_ktp", "Календарно-тематическое планирование всех классов"


_SCHOOL_ADMIN = {
    Perm.MANAGE_STAFF, Perm.VIEW_AUDIT, Perm.MANAGE_SETTINGS, Perm.VIEW_PEOPLE, Perm.ISSUE_ACCOUNTS,
    Perm.JOURNAL_CONTROL, Perm.JOURNAL_READ_ALL, Perm.SUMMARY_REPORTS,
    # journal.write is scoped to one's own teaching load, so holding it grants nothing
    # without a load; it is here so that an administrator may appoint teachers.
    Perm.JOURNAL_WRITE,
    Perm.SETUP_YEAR, Perm.MANAGE_CLASSES, Perm.MANAGE_PEOPLE, Perm.MOVEMENT, Perm.MANAGE_CURRICULUM,
    Perm.MANAGE_TIMETABLE, Perm.IMPORT_DATA, Perm.MANAGE_KTP,
}
ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({Perm.MANAGE_SCHOOLS, Perm.VIEW_DISTRICT_STATS, Perm.VIEW_DISTRICT_AUDIT}),
    Role.DISTRICT_ANALYST: frozenset({Perm.VIEW_DISTRICT_STATS}),
    Role.SCHOOL_ADMIN: frozenset(_SCHOOL_ADMIN),
    Role.DIRECTOR: frozenset(_SCHOOL_ADMIN | {Perm.APPROVE_ORDERS}),
    # 004 §VI–§VII: the deputy forms classes, subgroups, the curriculum and the timetable.
    Role.DEPUTY: frozenset({
        Perm.VIEW_PEOPLE, Perm.JOURNAL_CONTROL, Perm.JOURNAL_READ_ALL, Perm.SUMMARY_REPORTS, Perm.JOURNAL_WRITE,
        Perm.SETUP_YEAR, Perm.MANAGE_CLASSES, Perm.MANAGE_CURRICULUM, Perm.MANAGE_TIMETABLE, Perm.MANAGE_KTP,
    }),
    # 003 §3.3.3: the methodist enters and corrects the calendar-thematic plans.
    Role.METHODIST: frozenset({Perm.VIEW_PEOPLE, Perm.JOURNAL_READ_ALL, Perm.MANAGE_KTP}),
    Role.TEACHER: frozenset({Perm.JOURNAL_WRITE}),
    Role.CLASS_TEACHER: frozenset({Perm.JOURNAL_WRITE}),  # and ISSUE_ACCOUNTS for their own class only
    Role.HR_CLERK: frozenset({Perm.VIEW_PEOPLE, Perm.MANAGE_PEOPLE}),
    # 004 §X: the secretary controls the orders on student movement.
    Role.SECRETARY: frozenset({Perm.VIEW_PEOPLE, Perm.MANAGE_PEOPLE, Perm.MOVEMENT}),
    # Families' rights come from their link to a child, not from permissions.
    Role.PARENT: frozenset(),
    Role.STUDENT: frozenset(),
}
# The district administrator holds every school permission in every school.
ALL_SCHOOL_PERMS = frozenset(p for role in SCHOOL_ROLES for p in ROLE_PERMS[role])

# Which roles each role may hand out (within the scope where it holds its own).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST, Role.SCHOOL_ADMIN, Role.DIRECTOR}),
    Role.DIRECTOR: frozenset({
        Role.SCHOOL_ADMIN, Role.DEPUTY, Role.METHODIST, Role.TEACHER, Role.CLASS_TEACHER, Role.HR_CLERK,
        Role.SECRETARY, Role.PARENT, Role.STUDENT,
    }),
    Role.SCHOOL_ADMIN: frozenset({
        Role.SCHOOL_ADMIN, Role.DEPUTY, Role.METHODIST, Role.TEACHER, Role.CLASS_TEACHER, Role.HR_CLERK,
        Role.SECRETARY, Role.PARENT, Role.STUDENT,
    }),
    # Only for the parents and students of their own class (checked in the service).
    Role.CLASS_TEACHER: frozenset({Role.PARENT, Role.STUDENT}),
}


def perms_of(roles: set[str] | frozenset[str]) -> frozenset[str]:
    result: set[str] = set()
    for role in roles:
        result |= ROLE_PERMS.get(role, frozenset())
    return frozenset(result)
