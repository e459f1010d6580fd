from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Text models learned from the desk's own tickets and survey comments."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        import insights.training.themes  # noqa: F401 - registers its trainer
        from insights import receivers  # noqa: F401 - connects to cases' signals
        from insights.training import sentiment, similar, triage  # noqa: F401 - register their trainers
