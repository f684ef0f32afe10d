"""Reads inside the current school's schema (the request's school is already selected)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Enrolment, GuardianKind, Guardianship, SchoolClass


def classes() -> QuerySet[SchoolClass]:
    return SchoolClass.objects.select_related("class_teacher").order_by("grade", "letter")


def student_ids_of_classes(class_ids: Iterable[int]) -> set[int]:
    return set(Enrolment.objects.filter(school_class_id__in=list(class_ids), until__isnull=True).values_list("student_id", flat=True))


def family_person_ids_of_classes(class_ids: Iterable[int]) -> set[int]:
    """Students currently in the classes and their legal representatives."""
    students = student_ids_of_classes(class_ids)
    parents = set(Guardianship.objects.filter(student_id__in=students).values_list("parent_id", flat=True))
    return students | parents


def children_of(parent_id: int) -> set[int]:
    return set(Guardianship.objects.filter(parent_id=parent_id).values_list("student_id", flat=True))


def class_families(class_id: int) -> list[dict]:
    """Each current student of the class with their legal representatives, in two queries
    plus one for the people, whatever the class size."""
    from accounts.models import Person

    enrolments = list(Enrolment.objects.filter(school_class_id=class_id, until__isnull=True).values_list("student_id", flat=True))
    links = list(Guardianship.objects.filter(student_id__in=enrolments).values_list("student_id", "parent_id", "kind"))
    people = Person.objects.in_bulk(set(enrolments) | {p for _, p, _ in links})
    by_student: dict[int, list[tuple[Person, str]]] = {}
    for student_id, parent_id, kind in links:
        by_student.setdefault(student_id, []).append((people[parent_id], GuardianKind(kind).label))
    rows = [{"student": people[s], "parents": by_student.get(s, [])} for s in enrolments if s in people]
    rows.sort(key=lambda r: (r["student"].surname, r["student"].name))  # type: ignore[attr-defined]
    return rows
