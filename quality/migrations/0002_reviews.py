# A slot for the reviews' model changes made while building them (empty when none were needed).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations: list[migrations.operations.base.Operation] = []
