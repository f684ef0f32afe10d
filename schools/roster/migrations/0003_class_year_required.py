"""Classes belong to an academic year. Classes made before years existed get one."""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models


def give_classes_a_year(apps, schema_editor):
    SchoolClass = apps.get_model("roster", "SchoolClass")
    AcademicYear = apps.get_model("schoolyear", "AcademicYear")
    if not SchoolClass.objects.filter(year__isnull=True).exists():
        return
    today = dt.date.today()
    start = today.year if today.month >= 9 else today.year - 1
    year = AcademicYear.objects.filter(status="open").first() or AcademicYear.objects.create(
        name=f"{start}/{start + 1}", starts_on=dt.date(start, 9, 1), ends_on=dt.date(start + 1, 5, 31), status="open",
    )
    SchoolClass.objects.filter(year__isnull=True).update(year=year)


class Migration(migrations.Migration):
    dependencies = [
        ("roster", "0002_movementorder_personaldatasettings_personcard_and_more"),
        ("schoolyear", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(give_classes_a_year, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="schoolclass",
            name="year",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="classes", to="schoolyear.academicyear", verbose_name="учебный год"),
        ),
    ]
