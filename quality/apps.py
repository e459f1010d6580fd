from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("Quality")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """The Reviewer group after every migrate (permissions.py)."""
        from .permissions import ensure_reviewer_group

        post_migrate.connect(ensure_reviewer_group, sender=self, dispatch_uid="quality.reviewers")
