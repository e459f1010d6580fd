from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_search"),
    ]

    operations: list[migrations.operations.base.Operation] = []
