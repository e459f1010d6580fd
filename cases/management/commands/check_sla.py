"""`python manage.py check_sla`: what the beat does every minute — warn assignees at 80 % of
an SLA target, record breaches, escalate and alert (cases/services/deadlines.py). Safe to run
while the beat runs it too: each breach is handled once."""

from django.core.management.base import BaseCommand

from cases.services import deadlines
from cases.tasks import enqueue_sla_alert


class Command(BaseCommand):
    help = "Warn and escalate tickets that are near or past their SLA deadlines."

    def handle(self, *args, **options):
        counts = deadlines.check_deadlines(notify=enqueue_sla_alert)
        if not counts:
            self.stdout.write("Nothing due.")
            return
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in sorted(counts.items())))
