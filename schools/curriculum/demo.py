"""Demo data of this app for `manage.py seed_demo`: the subjects of a Russian school, a
curriculum per grade after the federal basic programmes (ФОП НОО, ООО, СОО; a 5-day week in
grades 1–4, a 6-day week above) and a teaching load spread over the school's teachers.

Written with bulk inserts (a few queries per school); the data satisfy every rule the
services enforce (subjects in the curriculum, load never above it, staff only)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from .models import CurriculumLine, CurriculumPart, EducationalArea, Subject, TeachingAssignment

M, E, X = str(CurriculumPart.MANDATORY), str(CurriculumPart.ELECTIVE), str(CurriculumPart.EXTRACURRICULAR)

# (name, short name, educational area, extracurricular, speciality of the teacher who teaches it)
SUBJECTS = [
    ("Русский язык", "Рус. яз.", "Русский язык и литературное чтение; русский язык и литература", False, "rus"),
    ("Литературное чтение", "Лит. чтение", "Русский язык и литературное чтение; русский язык и литература", False, "rus"),
    ("Литература", "Литер.", "Русский язык и литературное чтение; русский язык и литература", False, "rus"),
    ("Иностранный язык (английский)", "Англ. яз.", "Иностранные языки", False, "eng"),
    ("Математика", "Матем.", "Математика и информатика", False, "math"),
    ("Алгебра", "Алг.", "Математика и информатика", False, "math"),
    ("Геометрия", "Геом.", "Математика и информатика", False, "math"),
    ("Вероятность и статистика", "Вер. и стат.", "Математика и информатика", False, "math"),
    ("Информатика", "Информ.", "Математика и информатика", False, "inf"),
    ("Окружающий мир", "Окр. мир", "Обществознание и естествознание («окружающий мир»)", False, "primary"),
    ("Основы религиозных культур и светской этики", "ОРКСЭ", "Основы религиозных культур и светской этики", False, "primary"),
    ("История", "Ист.", "Общественно-научные предметы", False, "hist"),
    ("Обществознание", "Общ.", "Общественно-научные предметы", False, "hist"),
    ("География", "Геогр.", "Общественно-научные предметы", False, "geo"),
    ("Основы духовно-нравственной культуры народов России", "ОДНКНР",
     "Основы духовно-нравственной культуры народов России", False, "hist"),
    ("Биология", "Биол.", "Естественно-научные предметы", False, "bio"),
    ("Физика", "Физ.", "Естественно-научные предметы", False, "phys"),
    ("Химия", "Хим.", "Естественно-научные предметы", False, "chem"),
    ("Музыка", "Муз.", "Искусство", False, "arts"),
    ("Изобразительное искусство", "ИЗО", "Искусство", False, "arts"),
    ("Технология", "Технол.", "Технология", False, "tech"),
    ("Физическая культура", "Физ-ра", "Физическая культура и основы безопасности и защиты Родины", False, "pe"),
    ("Основы безопасности и защиты Родины", "ОБЗР", "Физическая культура и основы безопасности и защиты Родины", False, "obzr"),
    ("Разговоры о важном", "РоВ", "Внеурочная деятельность", True, "class"),
    ("Функциональная грамотность", "Функц. гр.", "Внеурочная деятельность", True, "class"),
    ("Россия — мои горизонты", "Профориент.", "Внеурочная деятельность", True, "class"),
]

_PRIMARY = [("Русский язык", 5, M), ("Литературное чтение", 4, M), ("Математика", 4, M), ("Окружающий мир", 2, M),
            ("Музыка", 1, M), ("Изобразительное искусство", 1, M), ("Технология", 1, M), ("Физическая культура", 2, M),
            ("Физическая культура", 1, E), ("Разговоры о важном", 1, X)]
_SECONDARY_X = [("Разговоры о важном", 1, X), ("Функциональная грамотность", 1, X)]
_SENIOR = [("Русский язык", 2, M), ("Литература", 3, M), ("Иностранный язык (английский)", 3, M), ("Алгебра", 3, M),
           ("Геометрия", 2, M), ("Вероятность и статистика", 1, M), ("Информатика", 1, M), ("История", 2, M),
           ("Обществознание", 2, M), ("География", 1, M), ("Биология", 1, M), ("Физика", 2, M), ("Химия", 1, M),
           ("Физическая культура", 2, M), ("Основы безопасности и защиты Родины", 1, M),
           ("Алгебра", 1, E), ("Русский язык", 1, E), ("Обществознание", 1, E),
           ("Разговоры о важном", 1, X), ("Россия — мои горизонты", 1, X)]
# Weekly hours per grade: (subject, hours, part).
PLAN: dict[int, list[tuple[str, int, str]]] = {
    1: _PRIMARY,
    2: [*_PRIMARY, ("Иностранный язык (английский)", 2, M)],
    3: [*_PRIMARY, ("Иностранный язык (английский)", 2, M)],
    4: [("Русский язык", 5, M), ("Литературное чтение", 3, M), ("Иностранный язык (английский)", 2, M), ("Математика", 4, M),
        ("Окружающий мир", 2, M), ("Основы религиозных культур и светской этики", 1, M), ("Музыка", 1, M),
        ("Изобразительное искусство", 1, M), ("Технология", 1, M), ("Физическая культура", 2, M),
        ("Физическая культура", 1, E), ("Разговоры о важном", 1, X)],
    5: [("Русский язык", 5, M), ("Литература", 3, M), ("Иностранный язык (английский)", 3, M), ("Математика", 5, M),
        ("История", 2, M), ("География", 1, M), ("Биология", 1, M), ("Музыка", 1, M), ("Изобразительное искусство", 1, M),
        ("Технология", 2, M), ("Физическая культура", 2, M),
        ("Основы духовно-нравственной культуры народов России", 1, M), ("Математика", 1, E), ("Русский язык", 1, E),
        *_SECONDARY_X],
    6: [("Русский язык", 6, M), ("Литература", 3, M), ("Иностранный язык (английский)", 3, M), ("Математика", 5, M),
        ("История", 2, M), ("Обществознание", 1, M), ("География", 1, M), ("Биология", 1, M), ("Музыка", 1, M),
        ("Изобразительное искусство", 1, M), ("Технология", 2, M), ("Физическая культура", 2, M),
        ("Основы духовно-нравственной культуры народов России", 1, M), ("Математика", 1, E),
        *_SECONDARY_X, ("Россия — мои горизонты", 1, X)],
    7: [("Русский язык", 4, M), ("Литература", 2, M), ("Иностранный язык (английский)", 3, M), ("Алгебра", 3, M),
        ("Геометрия", 2, M), ("Вероятность и статистика", 1, M), ("Информатика", 1, M), ("История", 2, M),
        ("Обществознание", 1, M), ("География", 2, M), ("Биология", 1, M), ("Физика", 2, M), ("Музыка", 1, M),
        ("Изобразительное искусство", 1, M), ("Технология", 2, M), ("Физическая культура", 2, M), ("Биология", 1, E),
        *_SECONDARY_X, ("Россия — мои горизонты", 1, X)],
    8: [("Русский язык", 3, M), ("Литература", 2, M), ("Иностранный язык (английский)", 3, M), ("Алгебра", 3, M),
        ("Геометрия", 2, M), ("Вероятность и статистика", 1, M), ("Информатика", 1, M), ("История", 2, M),
        ("Обществознание", 1, M), ("География", 2, M), ("Биология", 2, M), ("Физика", 2, M), ("Химия", 2, M),
        ("Музыка", 1, M), ("Технология", 1, M), ("Физическая культура", 2, M), ("Основы безопасности и защиты Родины", 1, M),
        ("Русский язык", 1, E), *_SECONDARY_X, ("Россия — мои горизонты", 1, X)],
    9: [("Русский язык", 3, M), ("Литература", 3, M), ("Иностранный язык (английский)", 3, M), ("Алгебра", 3, M),
        ("Геометрия", 2, M), ("Вероятность и статистика", 1, M), ("Информатика", 1, M), ("История", 2, M),
        ("Обществознание", 1, M), ("География", 2, M), ("Биология", 2, M), ("Физика", 3, M), ("Химия", 2, M),
        ("Технология", 1, M), ("Физическая культура", 2, M), ("Основы безопасности и защиты Родины", 1, M),
        ("Алгебра", 1, E), *_SECONDARY_X, ("Россия — мои горизонты", 1, X)],
    10: _SENIOR,
    11: _SENIOR,
}
# What each subject teacher may teach (by index in ctx["teachers"] after the primary class
# teachers); the load goes bundle by bundle to the least loaded qualified teacher.
SPECIALISTS: list[set[str]] = [
    {"rus"}, {"rus", "hist"}, {"math"}, {"math", "inf"}, {"eng"}, {"eng", "hist"}, {"hist", "geo"},
    {"bio", "chem", "tech"}, {"phys", "math"}, {"rus", "arts"}, {"pe", "obzr", "tech"},
]
SPECIALITY = {name: spec for name, _, _, _, spec in SUBJECTS}


def seed_school(ctx: dict[str, Any]) -> None:
    areas = {name: EducationalArea(name=name) for name in dict.fromkeys(area for _, _, area, _, _ in SUBJECTS)}
    EducationalArea.objects.bulk_create(areas.values())
    subjects = {name: Subject(name=name, short_name=short, area=areas[area], is_extracurricular=extra)
                for name, short, area, extra, _ in SUBJECTS}
    Subject.objects.bulk_create(subjects.values())
    classes = ctx["classes"]
    lines = [CurriculumLine(school_class=c, subject=subjects[name], part=part, hours_per_week=Decimal(hours))
             for c in classes for name, hours, part in PLAN[c.grade]]
    CurriculumLine.objects.bulk_create(lines)
    assignments = _teaching_load(classes, subjects, ctx["teachers"], ctx["named"])
    TeachingAssignment.objects.bulk_create(assignments)
    ctx["subjects"] = subjects
    ctx["assignments"] = assignments


def _teaching_load(classes: list[Any], subjects: dict[str, Subject], teachers: list[Any], named: dict[str, Any]) -> list[TeachingAssignment]:
    """Primary classes: their class teacher teaches everything but English. Above: subject
    teachers by speciality, bundle (class × speciality) by bundle to the least loaded one;
    extracurricular courses go to the class teacher."""
    primary_teachers = {c.class_teacher_id for c in classes if c.grade <= 4}
    specialists = [t for t in teachers if t.pk not in primary_teachers]
    # The named subject teacher (uchitel) leads the list, so she teaches Russian and literature.
    specialists.sort(key=lambda t: t.pk != named["uchitel"].pk)
    quals = [(t, SPECIALISTS[i % len(SPECIALISTS)]) for i, t in enumerate(specialists)]
    load: dict[int, int] = defaultdict(int)
    bundles: dict[tuple[int, str], list[tuple[str, int]]] = defaultdict(list)
    chosen: dict[tuple[int, str], Any] = {}
    fallback = teachers[0]
    for c in classes:
        own = c.class_teacher or fallback
        hours: dict[str, int] = defaultdict(int)
        for name, h, _ in PLAN[c.grade]:
            hours[name] += h
        for name, h in hours.items():
            spec = SPECIALITY[name]
            if spec == "class" or (c.grade <= 4 and spec != "eng"):
                chosen[(c.pk, name)] = own
                load[own.pk] += h
            else:
                bundles[(c.pk, spec)].append((name, h))
    owner: dict[tuple[int, str], Any] = {}
    size = {key: sum(h for _, h in items) for key, items in bundles.items()}
    for key in sorted(bundles, key=lambda k: -size[k]):
        candidates = [t for t, q in quals if key[1] in q] or [t for t, _ in quals] or [fallback]
        owner[key] = min(candidates, key=lambda t: (load[t.pk], t.pk))
        load[owner[key].pk] += size[key]
    # Even the loads out: move a bundle from the busiest teacher while that lowers the peak.
    for _ in range(100):
        busiest = max(owner.values(), key=lambda t: load[t.pk])
        moves = [(max(load[busiest.pk] - size[k], load[t.pk] + size[k]), k, t)
                 for k, o in owner.items() if o.pk == busiest.pk
                 for t, q in quals if k[1] in q and t.pk != busiest.pk]
        best = min(moves, key=lambda m: (m[0], m[2].pk), default=None)
        if best is None or best[0] >= load[busiest.pk]:
            break
        _, key, target = best
        load[busiest.pk] -= size[key]
        load[target.pk] += size[key]
        owner[key] = target
    for bundle, teacher in owner.items():
        for name, _ in bundles[bundle]:
            chosen[(bundle[0], name)] = teacher
    by_id = {c.pk: c for c in classes}
    result = []
    for (class_id, name), teacher in chosen.items():
        c = by_id[class_id]
        total = sum(h for n, h, _ in PLAN[c.grade] if n == name)
        result.append(TeachingAssignment(teacher=teacher, subject=subjects[name], school_class=c, hours_per_week=Decimal(total)))
    return result
