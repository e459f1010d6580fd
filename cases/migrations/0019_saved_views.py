from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0018_merged_tickets"),
    ]

    operations: list[migrations.operations.base.Operation] = []
