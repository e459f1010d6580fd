from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("Quality")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """The Reviewer group after every migrate (permissions.py); the demo desk's quality
        data once its survey history is loaded (demo.py)."""
        from surveys.signals import survey_history_loaded

        from .demo import on_survey_history_loaded
        from .permissions import ensure_reviewer_group

        post_migrate.connect(ensure_reviewer_group, sender=self, dispatch_uid="quality.reviewers")
        survey_history_loaded.connect(on_survey_history_loaded, dispatch_uid="quality.demo")
