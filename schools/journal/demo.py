"""Demo data of the journal for `manage.py seed_demo` (issue #5 item 16): a living journal.

From the first day of the year up to yesterday, every lesson of the timetable (days off, moved
days and substitutions applied, as the teacher's day shows them) is recorded with its topic
(from the КТП where the class has one: the named teacher's classes get a КТП for the year),
what was done and homework; students are ill now and then (a few days in a row; the class
teacher gives the reason with a document, except for the last days: those show up as
overdue), and marks are given by a student's level: answers in class, homework checks,
independent and control works (the latter marked for everybody present). Grade 1 gets no
marks (R-J04), extracurricular courses no marks (R-J15). The first quarter, already over,
has its period marks. Today's lessons are left to the newcomer, and in the last days a few
lessons miss their homework or topic, so the deputy's control has something to show.

Fast (bulk inserts, no service call per row; one summary audit record), idempotent (a school
whose journal has lessons is left as it is) and deterministic (seeded by the school's index)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from audit.services import record

from .models import AbsenceReason, Attendance, KtpPlan, KtpTopic, Lesson, Mark, PeriodMark, Work, WorkType
from .selectors import propose_mark, weighted_averages

TOPICS: dict[str, list[str]] = {
    "Русский язык": ["Повторение изученного в начальной школе", "Звуки и буквы. Орфограмма", "Морфемика. Состав слова",
                     "Правописание корней", "Имя существительное как часть речи", "Склонение имён существительных",
                     "Имя прилагательное", "Глагол. Время глагола", "Синтаксис. Словосочетание", "Простое предложение",
                     "Однородные члены предложения", "Прямая речь. Диалог"],
    "Литературное чтение": ["Устное народное творчество", "Сказки народов России", "А. С. Пушкин. Сказки", "Басни И. А. Крылова",
                            "Стихи о природе", "Рассказы о детях", "Л. Н. Толстой. Рассказы", "Произведения о животных"],
    "Литература": ["Мифы и легенды", "Фольклор. Малые жанры", "Басни: Крылов, Дмитриев", "А. С. Пушкин. Лирика",
                   "М. Ю. Лермонтов. «Бородино»", "Н. В. Гоголь. «Вечера на хуторе близ Диканьки»", "И. С. Тургенев. «Муму»",
                   "Н. А. Некрасов. Стихотворения", "Л. Н. Толстой. «Кавказский пленник»", "Развитие речи: сочинение"],
    "Математика": ["Натуральные числа и шкалы", "Сложение и вычитание натуральных чисел", "Умножение и деление",
                   "Площади и объёмы", "Обыкновенные дроби", "Сравнение дробей", "Сложение и вычитание дробей",
                   "Десятичные дроби", "Округление чисел", "Проценты", "Решение текстовых задач"],
    "Алгебра": ["Выражения и их преобразования", "Линейное уравнение с одной переменной", "Функции и их графики",
                "Степень с натуральным показателем", "Одночлены", "Многочлены", "Формулы сокращённого умножения",
                "Системы линейных уравнений", "Квадратные корни", "Квадратные уравнения"],
    "Геометрия": ["Начальные геометрические сведения", "Треугольники", "Признаки равенства треугольников",
                  "Параллельные прямые", "Соотношения между сторонами и углами треугольника", "Четырёхугольники",
                  "Площадь многоугольника", "Подобные треугольники", "Окружность"],
    "Иностранный язык (английский)": ["My family and friends", "School life", "Present Simple", "My day", "Present Continuous",
                                      "Food and drinks", "Past Simple", "Holidays and traditions", "Travelling", "Weather"],
    "Окружающий мир": ["Природа и мы", "Неживая и живая природа", "Растения родного края", "Животные родного края",
                       "Времена года", "Наш город", "Правила безопасного поведения", "Человек и общество"],
    "История": ["Древнейшие люди", "Древний Египет", "Древняя Передняя Азия", "Древняя Индия и Китай", "Древняя Греция",
                "Афины и Спарта", "Древний Рим", "Римская империя", "Повторение и обобщение"],
    "Обществознание": ["Человек и общество", "Семья и семейные отношения", "Школа и образование", "Труд и экономика",
                       "Родина. Государство", "Права и обязанности гражданина"],
    "География": ["Что изучает география", "Земля во Вселенной", "Изображение земной поверхности. План и карта", "Литосфера",
                  "Гидросфера", "Атмосфера", "Биосфера"],
    "Биология": ["Биология — наука о живой природе", "Методы изучения живой природы", "Клетка", "Ткани", "Органы растений",
                 "Многообразие организмов", "Экосистемы"],
    "Физика": ["Физика и её методы", "Строение вещества", "Механическое движение", "Плотность вещества", "Силы в природе",
               "Давление", "Работа и мощность", "Простые механизмы"],
    "Химия": ["Предмет химии. Вещества", "Атомы и молекулы", "Химические формулы", "Валентность", "Химические реакции",
              "Кислород. Оксиды", "Водород", "Растворы"],
    "Информатика": ["Информация и информационные процессы", "Компьютер и его устройство", "Файлы и папки",
                    "Текстовый редактор", "Алгоритмы и исполнители", "Программирование: линейные алгоритмы"],
    "Физическая культура": ["Техника безопасности на уроках", "Лёгкая атлетика: бег", "Прыжки в длину", "Спортивные игры: баскетбол",
                            "Волейбол", "Гимнастика", "Общая физическая подготовка"],
    "Музыка": ["Музыка в жизни человека", "Народная музыка", "Музыкальные инструменты", "Композиторы-классики", "Песня и танец"],
    "Изобразительное искусство": ["Цвет и краски", "Рисунок с натуры", "Декоративно-прикладное искусство", "Пейзаж", "Портрет"],
    "Технология": ["Материалы и инструменты", "Работа с бумагой", "Конструирование", "Проект", "Обработка древесины"],
}
DONE = ["Объяснение нового материала, работа с учебником", "Фронтальный опрос, разбор домашнего задания",
        "Самостоятельная работа в парах", "Решение задач у доски", "Работа по карточкам", "Повторение и закрепление"]
HOMEWORK = ["§ {n}, вопросы в конце параграфа", "§ {n}, упр. {k}", "Стр. {k}, № {m}, {m2}", "Выучить правило, § {n}",
            "Подготовить пересказ, стр. {k}", "Рабочая тетрадь, стр. {m}"]
DOCUMENTS = ["Справка из детской поликлиники № 1", "Справка из детской поликлиники № 2", "Заявление родителя"]


def seed_school(ctx: dict[str, Any]) -> None:
    """Called by seed_demo inside the school's schema, after roster, curriculum and timetable."""
    if Lesson.objects.exists():
        return
    from . import rules

    year = ctx["year"]
    last = min(rules.today() - dt.timedelta(days=1), year.ends_on)
    if last < year.starts_on:
        return
    _Journal(ctx, year, last).seed()


def on_day(day: dt.date) -> dt.datetime:
    """A moment of the lesson's day (its end of the school day): the demo's teachers fill the journal on time (R-J05)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0)))


def _copy(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into the model's table in the current school schema: the many rows of marks and
    attendance go in several times faster than with bulk_create (the schema's search_path applies)."""
    from django.db import connection

    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class _Journal:
    def __init__(self, ctx: dict[str, Any], year: Any, last: dt.date) -> None:
        from schoolyear.calendar_service import SchoolCalendar

        self.ctx, self.year, self.last = ctx, year, last
        self.rng = random.Random(f"journal-demo-{ctx['index']}")
        self.calendar = SchoolCalendar.for_year(year)
        self.classes = {c.pk: c for c in ctx["classes"]}
        self.work_types = {w.name: w for w in WorkType.objects.all()}

    def seed(self) -> None:
        from curriculum.models import Subject
        from roster.models import Enrolment

        extracurricular = set(Subject.objects.filter(is_extracurricular=True).values_list("pk", flat=True))
        roster: dict[int, list[int]] = defaultdict(list)
        for class_id, student_id in (Enrolment.objects.filter(school_class__year=self.year, since__lte=self.last)
                                     .filter(Q(until__isnull=True) | Q(until__gte=self.year.starts_on))
                                     .order_by("student_id").values_list("school_class_id", "student_id")):
            roster[class_id].append(student_id)
        level = {s: self.rng.uniform(2.9, 4.8) for ids in roster.values() for s in ids}
        slots = self._timetable()
        ill = self._illness(roster, sorted({day for day, _ in slots}))
        topics = self._ktp(slots)
        lessons: list[Lesson] = []
        counted: dict[tuple[int, int], int] = defaultdict(int)
        recent = self.last - dt.timedelta(days=4)
        for day, item in slots:
            key = (item.school_class.pk, item.subject.pk)
            counted[key] += 1
            n = counted[key]
            ktp = topics.get(key, [])
            topic = ktp[n - 1] if n <= len(ktp) else None
            title = topic.title if topic else self._topic(item.subject.name, n)
            homework = self.rng.choice(HOMEWORK).format(n=n // 2 + 1, k=self.rng.randint(5, 250), m=self.rng.randint(3, 90),
                                                         m2=self.rng.randint(91, 180))
            if day >= recent and self.rng.random() < 0.08:
                homework = ""  # forgotten: the deputy's list of lessons without entries shows it
            if day >= recent and self.rng.random() < 0.03:
                title = ""
            lessons.append(Lesson(
                school_class=item.school_class, subgroup=item.subgroup, subject=item.subject, teacher=item.teacher,
                replaced_teacher=item.entry.teacher if item.substitution else None, date=day, lesson_number=item.lesson_number,
                topic=title, ktp_topic=topic if title else None, done=self.rng.choice(DONE), homework=homework,
                created_by=item.teacher, attendance_taken_at=on_day(day),  # entered on the day (R-J05)
            ))
        Lesson.objects.bulk_create(lessons, batch_size=2000)
        marks, absences, works = self._marks_and_attendance(lessons, roster, level, ill, extracurricular)
        period_marks = self._period_marks()
        record(actor=self.ctx["actor"], action="journal.demo.seed", school=self.ctx["school"], obj=self.ctx["school"],
               after={"lessons": len(lessons), "works": works, "marks": marks, "absences": absences, "period_marks": period_marks,
                      "until": self.last.isoformat()},
               reason="Демонстрационные данные журнала")

    # --- the lessons that ran: the timetable with the calendar and substitutions ---------------------------
    def _timetable(self) -> list[tuple[dt.date, Any]]:
        """What lessons_on gives day by day, for all the days at once (three queries, the week's
        entries loaded once rather than once a day)."""
        from timetable.selectors import _lessons

        days = [self.year.starts_on + dt.timedelta(days=n) for n in range((self.last - self.year.starts_on).days + 1)]
        by_day = _lessons(days, self.calendar, None, None)
        return [(day, item) for day in days for item in by_day.get(day, [])]

    def _topic(self, subject: str, n: int) -> str:
        bank = TOPICS.get(subject)
        if not bank:
            return f"{subject}: занятие {n}"
        # Three or four lessons a topic, then the next; the bank starts over with "повторение".
        index = (n - 1) // 4
        title = bank[index % len(bank)]
        return title if index < len(bank) else f"{title} (повторение)"

    # --- КТП for the named teacher's classes --------------------------------------------------------------
    def _ktp(self, slots: list[tuple[dt.date, Any]]) -> dict[tuple[int, int], list[KtpTopic]]:
        """The named subject teacher (uchitel) has a КТП for every class and subject she teaches: a topic
        per lesson for the year (past ones dated as given, the rest on the timetable's days). One planned
        topic, a week ago, is skipped by the journal (shown as missed)."""
        from curriculum.models import CurriculumLine, TeachingAssignment

        teacher = self.ctx["named"]["uchitel"]
        loads = list(TeachingAssignment.objects.filter(teacher=teacher, school_class__year=self.year, subgroup__isnull=True)
                     .select_related("subject", "school_class"))
        hours = {(ln.school_class_id, ln.subject_id): ln.hours_per_week
                 for ln in CurriculumLine.objects.filter(school_class__year=self.year)}
        past: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
        weekdays: dict[tuple[int, int], list[int]] = defaultdict(list)
        for day, item in slots:
            key = (item.school_class.pk, item.subject.pk)
            past[key].append(day)
        for entry_key, weekday in self._entry_weekdays():
            weekdays[entry_key].append(weekday)
        result: dict[tuple[int, int], list[KtpTopic]] = {}
        for load in loads:
            key = (load.school_class_id, load.subject_id)
            grade = self.classes[load.school_class_id].grade if load.school_class_id in self.classes else 5
            total = int(Decimal(hours.get(key, load.hours_per_week)) * 34)
            dates: list[dt.date | None] = list(past[key])
            day = self.last + dt.timedelta(days=1)
            while len(dates) < total and day <= self.year.ends_on:
                if self.calendar.is_school_day(day, grade):
                    weekday = self.calendar.timetable_weekday(day, grade)
                    dates += [day] * weekdays[key].count(weekday)
                day += dt.timedelta(days=1)
            dates += [None] * (total - len(dates))
            plan = KtpPlan.objects.create(school_class_id=load.school_class_id, subject=load.subject, author=teacher)
            topics = KtpTopic.objects.bulk_create([
                KtpTopic(plan=plan, number=n, title=self._topic(load.subject.name, n), planned_date=planned,
                         work_type=self.work_types.get("Контрольная работа") if n % 16 == 0 else None)
                for n, planned in enumerate(dates[:total], start=1)
            ])
            given = len(past[key])
            if given > 6:
                # A topic planned a few lessons ago went untaught: the lessons since took the next ones.
                skipped = given - 4
                result[key] = topics[:skipped] + topics[skipped + 1:]
            else:
                result[key] = topics
        return result

    def _entry_weekdays(self) -> list[tuple[tuple[int, int], int]]:
        from timetable.models import TimetableEntry

        return [((c, s), w) for c, s, w in TimetableEntry.objects.filter(school_class__year=self.year, subgroup__isnull=True)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.last)).values_list("school_class_id", "subject_id", "weekday")]

    # --- illness, marks, attendance ------------------------------------------------------------------------
    def _illness(self, roster: dict[int, list[int]], days: list[dt.date]) -> dict[tuple[int, dt.date], tuple[str, str, dt.date | None]]:
        """Spells of absence: about a third of the students are ill once or twice for 2–5 school days.
        (student, day) -> (reason, document, document date); spells of the last days have no reason
        yet (the class teacher is late: the deputy's list of overdue reasons shows them)."""
        absent: dict[tuple[int, dt.date], tuple[str, str, dt.date | None]] = {}
        if not days:
            return absent
        overdue_from = self.last - dt.timedelta(days=3)
        for ids in roster.values():
            for student in ids:
                for _ in range(self.rng.choice([0, 0, 0, 1, 1, 2])):
                    start = self.rng.randrange(len(days))
                    end = min(len(days) - 1, start + self.rng.randint(1, 4))
                    if days[start] >= overdue_from:
                        why: tuple[str, str, dt.date | None] = ("", "", None)
                    elif self.rng.random() < 0.85:
                        why = (AbsenceReason.ILLNESS, self.rng.choice(DOCUMENTS[:2]), days[end] + dt.timedelta(days=1))
                    else:
                        why = (AbsenceReason.EXCUSED, DOCUMENTS[2], days[start])
                    for day in days[start:end + 1]:
                        absent[(student, day)] = why
        return absent

    def _marks_and_attendance(self, lessons: list[Lesson], roster: dict[int, list[int]], level: dict[int, float],
                              ill: dict[tuple[int, dt.date], tuple[str, str, dt.date | None]], extracurricular: set[int]) -> tuple[int, int, int]:
        wt = self.work_types
        class_teacher = {c.pk: c.class_teacher_id for c in self.classes.values()}
        now = timezone.now()
        absences: list[tuple[Any, ...]] = []
        absent: set[tuple[int, int]] = set()
        for ls in lessons:
            for student in roster.get(ls.school_class_id, []):
                why = ill.get((student, ls.date))
                if why is not None:
                    reason, document, document_date = why
                    absences.append((ls.pk, student, Attendance.Status.ABSENT.value, reason, document, document_date,
                                     class_teacher.get(ls.school_class_id) if reason else None, now if reason else None,
                                     ls.teacher_id, on_day(ls.date)))
                    absent.add((ls.pk, student))
                elif self.rng.random() < 0.006:
                    absences.append((ls.pk, student, Attendance.Status.LATE.value, "", "", None, None, None, ls.teacher_id,
                                     on_day(ls.date)))
        _copy(Attendance, ["lesson_id", "student_id", "status", "reason", "document", "document_date", "reason_set_by_id",
                           "reason_set_at", "created_by_id", "created_at"], absences)
        works: list[tuple[Work, list[int]]] = []
        counted: dict[tuple[int, int], int] = defaultdict(int)
        for ls in lessons:
            grade = self.classes[ls.school_class_id].grade if ls.school_class_id in self.classes else 5
            if grade == 1 or ls.subject_id in extracurricular:
                continue  # R-J04: no marks in grade 1; R-J15: no marks in extracurricular courses
            key = (ls.school_class_id, ls.subject_id)
            counted[key] += 1
            n = counted[key]
            present = [s for s in roster.get(ls.school_class_id, []) if (ls.pk, s) not in absent]
            if not present:
                continue
            if n % 16 == 0:
                works.append((Work(lesson=ls, work_type=wt["Контрольная работа"], topic=f"Контрольная работа по теме «{ls.topic}»"[:300],
                                   position=1), present))
                continue
            if n % 8 == 0:
                works.append((Work(lesson=ls, work_type=wt["Самостоятельная работа"], topic=ls.topic[:300], position=1),
                              self.rng.sample(present, k=max(1, len(present) * 2 // 3))))
                continue
            works.append((Work(lesson=ls, work_type=wt["Ответ на уроке"], position=1),
                          self.rng.sample(present, k=min(len(present), self.rng.randint(2, 4)))))
            if n % 5 == 0:
                works.append((Work(lesson=ls, work_type=wt["Домашняя работа"], position=2),
                              self.rng.sample(present, k=min(len(present), self.rng.randint(1, 3)))))
        Work.objects.bulk_create([w for w, _ in works], batch_size=5000)
        marks = []
        for work, students in works:
            for student in students:
                value = max(2, min(5, round(self.rng.gauss(level[student], 0.75))))
                marks.append((work.pk, student, "grade", value, "", 1, work.lesson.teacher_id, on_day(work.lesson.date),
                              on_day(work.lesson.date)))
        _copy(Mark, ["work_id", "student_id", "kind", "value", "source_document", "version", "created_by_id", "created_at", "updated_at"],
              marks)
        return len(marks), len(absences), len(works)

    def _period_marks(self) -> int:
        """Period marks of every period already over (its 3-day window closed), from the weighted average."""
        from curriculum.models import TeachingAssignment
        from schoolyear.models import StudyPeriod

        from .models import JournalSettings

        settings_row = JournalSettings.current()
        teacher_of = {(c, s): t for c, s, t in TeachingAssignment.objects.filter(school_class__year=self.year, subgroup__isnull=True)
                      .values_list("school_class_id", "subject_id", "teacher_id")}
        rows: list[PeriodMark] = []
        for period in StudyPeriod.objects.filter(scheme__year=self.year, ends_on__lt=self.last - dt.timedelta(days=3)).select_related("scheme"):
            grades = set(period.scheme.grades) - {1}
            per: dict[tuple[int, int, int], list[tuple[int, Decimal]]] = defaultdict(list)
            for class_id, subject_id, student_id, value, weight in (
                Mark.objects.filter(work__lesson__date__range=(period.starts_on, period.ends_on), work__lesson__school_class__grade__in=grades,
                                    kind="grade", value__isnull=False).values_list("work__lesson__school_class_id", "work__lesson__subject_id", "student_id",
                                                              "value", "work__work_type__weight")
            ):
                per[(class_id, subject_id, student_id)].append((value or 0, weight))
            for (class_id, subject_id, student_id), values in per.items():
                plain, weighted = weighted_averages(values)
                mark = propose_mark(weighted if settings_row.use_weighted_average else plain, settings_row.round_up_from)
                if mark is not None and len(values) >= 2:
                    rows.append(PeriodMark(student_id=student_id, school_class_id=class_id, subject_id=subject_id, kind="period",
                                           period=period, value=max(2, mark),
                                           created_by_id=teacher_of.get((class_id, subject_id), self.ctx["named"]["uchitel"].pk)))
        PeriodMark.objects.bulk_create(rows, batch_size=5000)
        return len(rows)
