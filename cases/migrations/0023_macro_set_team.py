import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0022_merge_notice"),
    ]

    operations = [
        migrations.AddField(
            model_name="macro",
            name="set_team",
            field=models.ForeignKey(
                blank=True,
                help_text="Moves the ticket to this team (a transfer, not an escalation).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cases.team",
                verbose_name="team",
            ),
        ),
    ]
