"""`python manage.py ingest_email < message.eml`: one RFC 5322 message from standard input
(an MTA pipe, e.g. Postfix `mailbox_command` or an alias `|manage.py ingest_email`) becomes a
ticket, a reply on one, nothing (automatic mail) or a quarantined message. Exits 0 for every
outcome, so the MTA never bounces a message Pulso has kept."""

import sys

from django.core.management.base import BaseCommand

from cases.services.inbound import ingest_email


class Command(BaseCommand):
    help = "Read one e-mail from standard input into the support desk."

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read()
        result = ingest_email(raw)
        ticket = f" {result.ticket.reference}" if result.ticket else ""
        reason = f" ({result.record.reason})" if result.record.reason else ""
        self.stdout.write(f"{result.outcome}{ticket}{reason}")
