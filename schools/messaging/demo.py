"""Demo data of this app for `manage.py seed_demo`: a few conversations of the demo family
(roditel.N, uchenik.N in 5А) with their class teacher and teachers, one of them unread, and
announcements from the director (whole school) and the class teacher (5А). Written through the
services, so the rules, the audit and the signals are those of real use."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Person
from core.errors import DomainError
from curriculum.models import TeachingAssignment

from . import services

# A one-page PDF, small enough to keep in the source.
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def seed_school(ctx: dict[str, Any]) -> None:
    school, index = ctx["school"], ctx["index"]
    cls = next((c for c in ctx["classes"] if c.grade == 5 and c.letter == "А"), None)
    people = {p.login: p for p in Person.objects.filter(login__in=[f"roditel.{index}", f"uchenik.{index}"])}
    parent, student = people.get(f"roditel.{index}"), people.get(f"uchenik.{index}")
    if cls is None or parent is None or student is None or cls.class_teacher_id is None:
        return
    class_teacher = Person.objects.get(pk=cls.class_teacher_id)
    director = ctx["named"]["director"]
    loads = list(TeachingAssignment.objects.filter(school_class=cls, subgroup__isnull=True).select_related("subject", "teacher")
                 .order_by("subject__name")[:2])
    try:
        conv = services.start_conversation(parent, school, recipient_ids=[class_teacher.pk], subject="Экскурсия в музей",
                                           body="Здравствуйте! Артём сможет поехать на экскурсию 15 октября, "
                                                "заявление прикладываю.",
                                           files=[SimpleUploadedFile("заявление.pdf", DEMO_PDF)])
        services.send_message(class_teacher, school, conv, body="Спасибо, получила. Сбор в 10:40 у школы.")
        services.mark_read(parent, school, conv)
        if loads:
            teacher, subject = loads[0].teacher, loads[0].subject.name
            services.start_conversation(teacher, school, recipient_ids=[parent.pk], subject=f"{subject}: домашнее задание",
                                        body="Артём не сдал домашнюю работу за вторник. Пусть принесёт в четверг, пожалуйста.")
            services.start_conversation(student, school, recipient_ids=[teacher.pk], subject="Вопрос по заданию",
                                        body="Можно уточнить номер задачи на пятницу?")
        services.publish_announcement(director, school, audience="school", class_id=None, title="Осенние каникулы",
                                      body="Осенние каникулы с 26 октября по 3 ноября. Занятия начинаются 4 ноября по расписанию.")
        services.publish_announcement(class_teacher, school, audience="class", class_id=cls.pk, title="Родительское собрание",
                                      body="Собрание 5А в четверг в 18:00 в кабинете 21. Тема: итоги первой четверти.")
    except DomainError as exc:  # a demo without messages is still a demo
        ctx.setdefault("warnings", []).append(f"messaging demo: {exc.message}")
