# Slot for the agents' use of articles (issue 17); filled by its author.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_deflection")]

    operations: list[migrations.operations.base.Operation] = []
