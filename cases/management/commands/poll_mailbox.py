"""`python manage.py poll_mailbox`: read the IMAP support mailbox once (what the beat does every
IMAP_POLL_SECONDS), e.g. from cron or to check the IMAP_* settings."""

from django.core.management.base import BaseCommand, CommandError

from cases.services import mailbox


class Command(BaseCommand):
    help = "Take in the new messages of the IMAP support mailbox once."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, help="At most this many messages (IMAP_BATCH).")

    def handle(self, *args, batch=None, **options):
        if not mailbox.configured():
            raise CommandError("IMAP_HOST is not set: there is no mailbox to read.")
        try:
            counts = mailbox.poll(batch)
        except mailbox.MailboxError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(mailbox.describe(counts))
