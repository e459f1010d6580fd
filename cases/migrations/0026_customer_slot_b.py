from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0025_customer_slot_a"),
    ]

    operations: list[migrations.operations.base.Operation] = []
