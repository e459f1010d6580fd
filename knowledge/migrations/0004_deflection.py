# Slot for the web-form deflection models (issue 17); filled by its author.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_sqlite_search_words")]

    operations: list[migrations.operations.base.Operation] = []
