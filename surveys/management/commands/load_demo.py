from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases import demo
from surveys import demo as survey_demo


class Command(BaseCommand):
    help = (
        "Load deterministic demo data: three teams, eight agents, two managers, ~60 customers "
        f"and ~{demo.TICKETS} tickets over the last {demo.DAYS} days. Logins agent, manager and "
        f"admin, password {demo.PASSWORD}. Running it again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load the demo even though DATABASE_URL points at a production database.",
        )
        parser.add_argument(
            "--if-embedded",
            action="store_true",
            help="Do nothing (and succeed) outside the embedded setup: what `make run` calls.",
        )
        parser.add_argument("--seed", type=int, default=demo.SEED, help="Random seed.")

    def handle(self, *args, allow_production=False, if_embedded=False, seed=demo.SEED, **options):
        if not settings.EMBEDDED and if_embedded:
            self.stdout.write("Not the embedded setup: no demo data loaded.")
            return
        if not settings.EMBEDDED and not allow_production:
            raise CommandError(
                "This is not the embedded (SQLite) setup: demo data with a known password "
                "does not belong in production. Pass --allow-production if you really mean it."
            )
        result = demo.load_demo(seed=seed)
        surveys = survey_demo.load_survey_history(seed=seed)
        if result is None and surveys is None:
            self.stdout.write("Demo data already loaded: nothing to do.")
            return
        result = result or demo.summary(elapsed=0.0)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {result['elapsed']:.1f} s."))
        for key in (
            "teams",
            "agents",
            "managers",
            "categories",
            "customers",
            "churned",
            "tickets",
            "events",
            "escalated",
            "reopened",
        ):
            self.stdout.write(f"  {key:<11} {result[key]}")
        for title, counts in (("status", result["by_status"]), ("channel", result["by_channel"])):
            self.stdout.write(
                f"  by {title:<8} " + ", ".join(f"{name} {count}" for name, count in counts.items())
            )
        for key, value in (surveys or {}).items():
            self.stdout.write(f"  {key:<17} {value}")
        self.stdout.write(f"  logins      agent / manager / admin, password {demo.PASSWORD}")
