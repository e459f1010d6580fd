"""Printed by `make run` before the processes start: where to go and how to log in."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cases.models import User

DEMO_LOGINS = (("agent", _("Agent")), ("manager", _("Manager")), ("admin", _("Admin")))


class Command(BaseCommand):
    help = "Print the URL and the demo logins."

    def handle(self, *args, **options):
        # Where people go: SITE_URL, which in the embedded mode follows PULSO_BIND.
        url = f"{settings.SITE_URL}/"
        line = "=" * 64
        self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Pulso: {url}"))
        links = (
            (_("Agent workspace"), "tickets/"),
            (_("Customer web form"), "support/"),
            (_("API docs"), "api/v1/docs/"),
            (_("Admin"), "admin/"),
        )
        for label, path in links:
            self.stdout.write(f"  {label}: {url}{path}")
        demo = [u for u, _label in DEMO_LOGINS if User.objects.filter(username=u).exists()]
        if demo:
            self.stdout.write(_("Demo logins (password: pulso-demo):"))
            for username, label in DEMO_LOGINS:
                if username in demo:
                    self.stdout.write(f"  {username:<8} {label}")
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            self.stdout.write(_("E-mails are written to %s") % settings.EMAIL_FILE_PATH)
        self.stdout.write(_("Stop with Ctrl+C."))
        self.stdout.write(line)
