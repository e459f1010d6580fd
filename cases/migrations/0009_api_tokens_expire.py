"""API tokens issued before tokens expired (knox TOKEN_TTL None) get the configured lifetime
from now: no token keeps working forever."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def give_every_token_an_expiry(apps, schema_editor):
    AuthToken = apps.get_model("knox", "AuthToken")
    lifetime = timedelta(days=getattr(settings, "API_TOKEN_TTL_DAYS", 30))
    AuthToken.objects.filter(expiry__isnull=True).update(expiry=timezone.now() + lifetime)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_send_attempts"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunPython(give_every_token_an_expiry, migrations.RunPython.noop, elidable=True),
    ]
