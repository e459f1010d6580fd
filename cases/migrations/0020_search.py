from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0019_saved_views"),
    ]

    operations: list[migrations.operations.base.Operation] = []
