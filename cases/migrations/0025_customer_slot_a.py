from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0024_customers_organisations_portal"),
    ]

    operations: list[migrations.operations.base.Operation] = []
