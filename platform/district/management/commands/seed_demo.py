"""A fictional municipal district for newcomers: three schools, staff with roles, classes
1–11 with students and parents (Russian names from Faker ru_RU, fixed seed).

Idempotent: run again, it keeps every row and only prints the logins."""

from __future__ import annotations

import base64
import datetime as dt
import random
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker

from accounts.models import Membership, Person
from accounts.roles import TWO_FACTOR_ROLES, Role
from accounts.services import replace_backup_codes
from audit.services import record
from tenants import provisioning
from tenants.db import use_public, use_school
from tenants.models import School

DEMO_PASSWORD = "zhurnal-demo-2026"
LETTERS = "АБВ"

SCHOOLS = [
    ("sosh-1", "МБОУ «Средняя общеобразовательная школа № 1»", "СОШ № 1", "DEMO-001", "ул. Ленина, 1"),
    ("gimnaziya-2", "МБОУ «Гимназия № 2»", "Гимназия № 2", "DEMO-002", "ул. Гагарина, 12"),
    ("litsei-3", "МАОУ «Лицей № 3»", "Лицей № 3", "DEMO-003", "пр. Мира, 30"),
]
# (login prefix, role, surname, name, patronymic) for the named staff of each school.
NAMED_STAFF = [
    ("director", Role.DIRECTOR, "Соколова", "Елена", "Викторовна"),
    ("zavuch", Role.DEPUTY, "Морозов", "Андрей", "Павлович"),
    ("admin", Role.SCHOOL_ADMIN, "Волкова", "Ирина", "Сергеевна"),
    ("uchitel", Role.TEACHER, "Лебедева", "Ольга", "Николаевна"),
    ("klruk", Role.CLASS_TEACHER, "Козлов", "Дмитрий", "Игоревич"),
]
# Staff cards (R-A07): login prefix → (position, category, functions, diploma speciality).
NAMED_CARDS = {
    "director": ("Директор", "высшая", "руководство школой", "учитель истории и обществознания"),
    "zavuch": ("Заместитель директора по учебно-воспитательной работе", "высшая", "контроль ведения ЭЖ",
               "учитель математики"),
    "admin": ("Заместитель директора по информатизации", "первая", "администратор ЭЖ", "учитель информатики"),
    "uchitel": ("Учитель", "высшая", "учитель математики", "учитель математики и физики"),
    "klruk": ("Учитель", "первая", "учитель русского языка и литературы, классный руководитель",
              "учитель русского языка и литературы"),
}
SPECIALITIES = ["учитель русского языка и литературы", "учитель математики", "учитель истории", "учитель биологии",
                "учитель английского языка", "учитель физической культуры", "учитель начальных классов",
                "учитель физики", "учитель химии", "учитель географии", "учитель информатики"]
CATEGORIES = ["высшая", "первая", "соответствие занимаемой должности", ""]


def _seed_other_apps(ctx: dict[str, Any]) -> None:
    """Each tenant app after roster may bring demo data of its own in `<app>/demo.py`
    (`seed_school(ctx)`), run in TENANT_APPS order inside the school's schema."""
    import importlib
    import importlib.util

    for app in settings.TENANT_APPS:
        if app in ("schoolyear", "roster") or importlib.util.find_spec(f"{app}.demo") is None:
            continue
        importlib.import_module(f"{app}.demo").seed_school(ctx)


class Command(BaseCommand):
    help = "Создаёт демонстрационный район (если его ещё нет) и печатает логины."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--students-per-class", type=int, default=12)
        parser.add_argument("--quiet", action="store_true", help="Не печатать логины")

    def handle(self, *args: Any, **opts: Any) -> None:
        provisioning.ensure_template()
        use_public()
        self.password_hash = make_password(DEMO_PASSWORD)
        self.fake = Faker("ru_RU")
        self.fake.seed_instance(2026)
        self.rng = random.Random(2026)
        district_admin = self._person("admin.rayon", "Кузнецова", "Наталья", "Петровна", named=True)
        analyst = self._person("analitik.rayon", "Попов", "Сергей", "Александрович", named=True)
        with transaction.atomic():
            self._member(district_admin, Role.DISTRICT_ADMIN, None)
            self._member(analyst, Role.DISTRICT_ANALYST, None)
        for index, (slug, full, short, code, address) in enumerate(SCHOOLS, start=1):
            if not School.objects.filter(slug=slug).exists():
                self._seed_school(district_admin, index, slug, full, short, code, address, opts["students_per_class"])
        self._cross_school_people()
        if not opts["quiet"]:
            self._print_logins()

    # --- people ---------------------------------------------------------------------------
    def _person(self, login: str, surname: str, name: str, patronymic: str, *, named: bool, sex: str = "", birth: dt.date | None = None) -> Person:
        person = Person.objects.filter(login=login).first()
        if person is None:
            person = Person.objects.create(
                login=login, surname=surname, name=name, patronymic=patronymic, sex=sex, birth_date=birth,
                password=self.password_hash if named else "!", credentials_set_at=timezone.now() if named else None,
            )
        return person

    def _member(self, person: Person, role: str, school: School | None, class_id: int | None = None, since: dt.date | None = None) -> None:
        Membership.objects.get_or_create(
            person=person, role=role, school=school, class_id=class_id,
            defaults={"since": since or dt.date(2026, 9, 1)},
        )

    def _random_person(self, sex: str, birth_year: int) -> Person:
        if sex == "m":
            surname, name, patronymic = self.fake.last_name_male(), self.fake.first_name_male(), self.fake.middle_name_male()
        else:
            surname, name, patronymic = self.fake.last_name_female(), self.fake.first_name_female(), self.fake.middle_name_female()
        birth = dt.date(birth_year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        return Person(login="", surname=surname, name=name, patronymic=patronymic, sex=sex, birth_date=birth, password="!")

    # --- schools ------------------------------------------------------------------------------
    def _seed_school(self, actor: Person, index: int, slug: str, full: str, short: str, code: str, address: str, per_class: int) -> None:
        from tenants.services import SchoolData, create_school

        self.stdout.write(f"Создаю школу {short}…")
        with transaction.atomic():
            school = create_school(actor, SchoolData(slug=slug, full_name=full, short_name=short, municipal_code=code, address=address,
                                                     director_name="Соколова Елена Викторовна"))
            named = {}
            for prefix, role, surname, name, patronymic in NAMED_STAFF:
                sex = "f" if patronymic.endswith("на") else "m"
                birth = dt.date(1970 + 3 * index + len(prefix), index + 2, 10 + len(surname))
                person = self._person(f"{prefix}.{index}", surname, name, patronymic, named=True, sex=sex, birth=birth)
                named[prefix] = person
                if role != Role.CLASS_TEACHER:
                    self._member(person, role, school)
            use_school(school)
            from roster.models import (
                Enrolment,
                Guardianship,
                MovementOrder,
                OrderKind,
                PersonalDataSettings,
                SchoolClass,
                StaffCard,
            )
            from schoolyear import demo as year_demo

            ctx: dict[str, Any] = {"school": school, "actor": actor, "index": index, "rng": self.rng, "fake": self.fake}
            year_demo.seed_school(ctx)

            teachers = self._bulk_people([self._random_person(self.rng.choice("mf"), self.rng.randint(1965, 1998)) for _ in range(14)], f"t{index}")
            classes = []
            for grade in range(1, 12):
                for letter in LETTERS[: 2 if grade in (1, 5, 10) else 1]:
                    classes.append(SchoolClass(year=ctx["year"], grade=grade, letter=letter))
            SchoolClass.objects.bulk_create(classes)
            # Every enrolment rests on an order (R-Y06); the roles start on its date (R-A05).
            enrol_order = MovementOrder.objects.create(kind=OrderKind.ENROL, number="1-у", date=dt.date(2026, 9, 1),
                                                       note="Комплектование классов на 2026/2027 учебный год")
            PersonalDataSettings.current()  # the defaults: no phones, no addresses (001 §3.3), e-mail collected
            class_teachers = [named["klruk"], *teachers]
            memberships: list[Membership] = []
            for i, school_class in enumerate(classes):
                teacher = class_teachers[i % len(class_teachers)]
                school_class.class_teacher = teacher
                memberships.append(Membership(person=teacher, school=school, role=Role.CLASS_TEACHER, class_id=school_class.pk, since=dt.date(2026, 9, 1)))
            SchoolClass.objects.bulk_update(classes, ["class_teacher"])
            for teacher in teachers:
                memberships.append(Membership(person=teacher, school=school, role=Role.TEACHER, since=dt.date(2026, 9, 1)))
            memberships.append(Membership(person=named["klruk"], school=school, role=Role.TEACHER, since=dt.date(2026, 9, 1)))
            hired = dt.date(2026, 8, 28)
            cards = [StaffCard(person=named[prefix], position=pos, category=cat, functions=fn, diploma_speciality=dip,
                               hired_on=hired - dt.timedelta(days=365 * (3 + i)), hire_order_number=f"{12 + i}-к")
                     for i, (prefix, (pos, cat, fn, dip)) in enumerate(NAMED_CARDS.items())]
            cards += [StaffCard(person=t, position="Учитель", category=self.rng.choice(CATEGORIES),
                                diploma_speciality=self.rng.choice(SPECIALITIES), functions="учитель",
                                hired_on=hired - dt.timedelta(days=self.rng.randint(0, 20) * 365), hire_order_number=f"{30 + i}-к")
                      for i, t in enumerate(teachers)]
            StaffCard.objects.bulk_create(cards)
            students_all: list[Person] = []
            for school_class in classes:
                students = [self._random_person(self.rng.choice("mf"), 2026 - 6 - school_class.grade) for _ in range(per_class)]
                if school_class.grade == 5 and school_class.letter == "А":
                    students[0] = Person(login=f"uchenik.{index}", surname="Смирнов", name="Артём", patronymic="Олегович", sex="m",
                                         birth_date=dt.date(2015, 3, 13 + index), password=self.password_hash, credentials_set_at=timezone.now())
                students = self._bulk_people(students, f"s{index}")
                students_all.extend(students)
                Enrolment.objects.bulk_create([Enrolment(student=s, school_class=school_class, since=dt.date(2026, 9, 1), order_in=enrol_order)
                                               for s in students])
                memberships += [Membership(person=s, school=school, role=Role.STUDENT, since=dt.date(2026, 9, 1)) for s in students]
            parents: list[tuple[Person, Person, str]] = []
            for student in students_all:
                kinds = ["mother", "father"] if self.rng.random() < 0.6 else [self.rng.choice(["mother", "father"])]
                for kind in kinds:
                    p = self._random_person("f" if kind == "mother" else "m", self.rng.randint(1975, 1995))
                    parents.append((p, student, kind))
            first = next(i for i, (_, s, _) in enumerate(parents) if s.login == f"uchenik.{index}")
            demo_parent = Person(login=f"roditel.{index}", surname="Смирнова", name="Татьяна", patronymic="Андреевна", sex="f",
                                 birth_date=dt.date(1986, 5, 19 + index), password=self.password_hash, credentials_set_at=timezone.now())
            parents[first] = (demo_parent, parents[first][1], "mother")
            saved = self._bulk_people([p for p, _, _ in parents], f"p{index}")
            Guardianship.objects.bulk_create([Guardianship(parent=p, student=s, kind=k) for p, (_, s, k) in zip(saved, parents, strict=True)])
            memberships += [Membership(person=p, school=school, role=Role.PARENT, since=dt.date(2026, 9, 1)) for p in saved]
            Membership.objects.bulk_create(memberships)
            # Two people hired a week ago whose accounts were never handed over: the overdue list shows them.
            late = self._bulk_people([self._random_person("f", 1990), self._random_person("m", 1985)], f"n{index}")
            for n, person in enumerate(late):
                since = timezone.localdate() - dt.timedelta(days=10)
                self._member(person, Role.TEACHER, school, since=since)
                # Their staff card (R-A07) with the hiring order the role starts from: the staff list imports back.
                StaffCard.objects.get_or_create(person=person, defaults={"position": "Учитель", "functions": "учитель",
                                                                         "hired_on": since, "hire_order_number": f"{50 + n}-к"})
            ctx.update(classes=classes, teachers=[named["uchitel"], named["klruk"], *teachers], named=named, students=students_all)
            _seed_other_apps(ctx)
            record(actor=actor, action="demo.seed", school=school, obj=school,
                   after={"classes": len(classes), "students": len(students_all), "parents": len(saved), "teachers": len(teachers) + 2},
                   reason="Демонстрационные данные")
            use_public()
        self.stdout.write(f"  классов: {len(classes)}, обучающихся: {len(students_all)}, родителей: {len(saved)}")

    def _bulk_people(self, people: list[Person], tag: str) -> list[Person]:
        number = Person.objects.filter(login__startswith=f"demo.{tag}.").count()
        for p in people:
            if not p.login:
                number += 1
                p.login = f"demo.{tag}.{number}"
        return Person.objects.bulk_create(people)

    def _cross_school_people(self) -> None:
        """A teacher who works in two schools and a parent with children in two schools (R-P02)."""
        schools = {s.slug: s for s in School.objects.filter(slug__in=["sosh-1", "gimnaziya-2"])}
        if len(schools) < 2:
            return
        teacher = self._person("uchitel.dvuh", "Николаев", "Игорь", "Семёнович", named=True, sex="m", birth=dt.date(1979, 11, 2))
        self._member(teacher, Role.TEACHER, schools["sosh-1"])
        self._member(teacher, Role.TEACHER, schools["gimnaziya-2"])
        parent = self._person("roditel.dvuh", "Орлова", "Светлана", "Юрьевна", named=True, sex="f", birth=dt.date(1984, 7, 9))
        from roster.models import Enrolment, Guardianship, MovementOrder, SchoolClass

        for slug, grade in (("sosh-1", 3), ("gimnaziya-2", 8)):
            school = schools[slug]
            use_school(school)
            login = f"orlov.{slug}"
            child = self._person(login, "Орлов" if grade == 3 else "Орлова", "Максим" if grade == 3 else "Алиса", "Игоревич" if grade == 3 else "Игоревна", named=True, sex="m" if grade == 3 else "f",
                                birth=dt.date(2026 - 7 - grade, 4 if grade == 3 else 10, 17))
            school_class = SchoolClass.objects.filter(grade=grade).order_by("letter").first()
            if school_class and not Enrolment.objects.filter(student=child).exists():
                Enrolment.objects.create(student=child, school_class=school_class, since=dt.date(2026, 9, 1),
                                         order_in=MovementOrder.objects.filter(kind="enrol").order_by("id").first())
                Guardianship.objects.create(parent=parent, student=child, kind="mother")
            if school_class:
                self._journal_like_classmate(child, school_class.pk)
            self._member(child, Role.STUDENT, school)
            self._member(parent, Role.PARENT, school)
            use_public()

    def _journal_like_classmate(self, child: Person, class_id: int) -> None:
        """The journal's demo data (journal/demo.py) was made before this child joined the class: the
        child gets a classmate's marks, absences, period marks and subgroups, so that the family's
        diary has something to show. Nothing when the child has marks already (idempotent)."""
        from journal.models import Attendance, Mark, PeriodMark
        from roster.models import Enrolment, SubgroupMember

        if Mark.objects.filter(student=child).exists():
            return
        mate = (Enrolment.objects.filter(school_class_id=class_id, until__isnull=True).exclude(student=child)
                .order_by("student_id").values_list("student_id", flat=True).first())
        if mate is None:
            return
        SubgroupMember.objects.bulk_create([SubgroupMember(subgroup_id=m.subgroup_id, student=child)
                                            for m in SubgroupMember.objects.filter(student_id=mate)], ignore_conflicts=True)
        Mark.objects.bulk_create([Mark(work_id=m.work_id, student=child, kind=m.kind, value=m.value, created_by_id=m.created_by_id)
                                  for m in Mark.objects.filter(student_id=mate)])
        Attendance.objects.bulk_create([
            Attendance(lesson_id=a.lesson_id, student=child, status=a.status, reason=a.reason, document=a.document,
                       document_date=a.document_date, reason_set_by_id=a.reason_set_by_id, reason_set_at=a.reason_set_at,
                       created_by_id=a.created_by_id) for a in Attendance.objects.filter(student_id=mate)])
        PeriodMark.objects.bulk_create([
            PeriodMark(student=child, school_class_id=p.school_class_id, subject_id=p.subject_id, kind=p.kind, period_id=p.period_id,
                       mark_kind=p.mark_kind, value=p.value, not_assessed=p.not_assessed, created_by_id=p.created_by_id)
            for p in PeriodMark.objects.filter(student_id=mate)])

    # --- output ---------------------------------------------------------------------------------
    def _two_factor(self, person: Person) -> tuple[str, list[str]]:
        device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=person, name="Демо", confirmed=True)
        static = StaticDevice.objects.filter(user=person).first()
        codes = list(static.token_set.values_list("token", flat=True)) if static else []
        if not codes:
            codes = replace_backup_codes(person)
        return base64.b32encode(device.bin_key).decode(), codes[:3]

    def _print_logins(self) -> None:
        w = self.stdout.write
        w("")
        w("Демонстрационный район готов. Пароль у всех демо-учётных записей: " + DEMO_PASSWORD)
        w("Администраторам, директорам и завучам нужен второй фактор: добавьте секрет TOTP в приложение-")
        w("аутентификатор, или возьмите текущий код командой `.venv/bin/python manage.py demo_totp ЛОГИН`, или резервный код.")
        w("")
        logins = ["admin.rayon", "analitik.rayon"]
        for index in range(1, len(SCHOOLS) + 1):
            logins += [f"{prefix}.{index}" for prefix, *_ in NAMED_STAFF] + [f"roditel.{index}", f"uchenik.{index}"]
        logins += ["uchitel.dvuh", "roditel.dvuh"]
        people = {p.login: p for p in Person.objects.filter(login__in=logins)}
        for login in logins:
            person = people.get(login)
            if person is None:
                continue
            roles = Membership.objects.current().filter(person=person).select_related("school")
            where = "; ".join(sorted({f"{m.get_role_display()} — {m.school.short_name if m.school else 'район'}" for m in roles}))
            line = f"  {login:<16} {person.full_name:<34} {where}"
            if {m.role for m in roles} & TWO_FACTOR_ROLES:
                secret, codes = self._two_factor(person)
                line += f"\n  {'':<16} TOTP-секрет: {secret}   резервные коды: {', '.join(codes)}"
            w(line)
        w("")
        w("Электронный дневник: войдите как roditel.1 (один ребёнок), roditel.dvuh (дети в двух школах) или uchenik.1 —")
        w("откроется /diary/: неделя с отметками и заданиями, отметки по предметам с прогнозом, расписание на следующую неделю.")
        if settings.DEBUG:
            w("Школы: " + ", ".join(f"/s/{slug}/" for slug, *_ in SCHOOLS))
