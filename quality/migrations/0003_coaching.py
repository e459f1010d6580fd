# A slot for coaching's model changes made while building it (empty when none were needed).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("quality", "0002_reviews")]
    operations: list[migrations.operations.base.Operation] = []
