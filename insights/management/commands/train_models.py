"""`manage.py train_models [--force] [--kind K]`: learn the insights models now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from insights.models import ModelKind, ModelStatus
from insights.services.training import never_trained, train_all, train_each
from insights.training import TRAINERS


class Command(BaseCommand):
    help = "Train the text models (triage, similar cases, themes, sentiment) on the desk's data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=[k for k in ModelKind.values if k in TRAINERS])
        parser.add_argument(
            "--force", action="store_true", help="Train again even if the data didn't change."
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Only the kinds never trained yet (`make run`: a new desk's first models).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_missing"]:
            records = train_each(never_trained())
        elif options["kind"]:
            records = train_each([options["kind"]], force=options["force"])
        else:
            records = train_all(force=options["force"])
        for record in records:
            line = (
                f"{record.kind}: {record.status}, {record.documents} texts, {record.seconds:.1f} s"
            )
            if record.status == ModelStatus.READY:
                self.stdout.write(self.style.SUCCESS(line))
            else:
                self.stdout.write(self.style.WARNING(f"{line} {record.message or record.quality}"))
