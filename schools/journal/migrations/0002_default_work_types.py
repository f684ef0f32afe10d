"""The usual work types with default weights; each school may change them."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    # name, short, weight, requires all marks
    ("Ответ на уроке", "отв", "1.0", False),
    ("Домашняя работа", "дз", "1.0", False),
    ("Самостоятельная работа", "сам", "1.5", False),
    ("Проверочная работа", "пр", "1.5", False),
    ("Тест", "тест", "1.5", False),
    ("Диктант", "дикт", "2.0", True),
    ("Лабораторная работа", "лаб", "1.5", False),
    ("Практическая работа", "практ", "1.5", False),
    ("Сочинение", "соч", "2.0", True),
    ("Изложение", "изл", "2.0", True),
    ("Контрольная работа", "кр", "2.0", True),
]


def create(apps, schema_editor):
    WorkType = apps.get_model("journal", "WorkType")
    for order, (name, short, weight, all_marks) in enumerate(DEFAULTS):
        WorkType.objects.get_or_create(
            name=name, defaults={"short_name": short, "weight": Decimal(weight), "requires_all_marks": all_marks, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
