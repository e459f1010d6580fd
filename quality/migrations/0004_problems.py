# A slot for the problems' model changes made while building them (empty when none were needed).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("quality", "0003_coaching")]
    operations: list[migrations.operations.base.Operation] = []
