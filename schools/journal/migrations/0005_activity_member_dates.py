"""Extracurricular members get dates (R-J15): a member who leaves keeps their past sessions.
Existing members have no `since`: they belong to their group from its start."""

from django.db import migrations, models
from django.db.models import F, Q


class Migration(migrations.Migration):
    dependencies = [("journal", "0004_lesson_attachment")]
    operations = [
        migrations.AlterModelOptions(name="activitymember", options={"ordering": ["since", "id"]}),
        migrations.RemoveConstraint(model_name="activitymember", name="journal_activity_member_uniq"),
        migrations.AddField(model_name="activitymember", name="since",
                            field=models.DateField("в группе с", null=True, blank=True)),
        migrations.AddField(model_name="activitymember", name="until",
                            field=models.DateField("в группе по", null=True, blank=True)),
        migrations.AddConstraint(
            model_name="activitymember",
            constraint=models.UniqueConstraint(condition=Q(until__isnull=True), fields=("group", "student"),
                                               name="journal_activity_member_open_uniq"),
        ),
        migrations.AddConstraint(
            model_name="activitymember",
            constraint=models.CheckConstraint(condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=F("since")),
                                              name="journal_activity_member_dates_order"),
        ),
    ]
