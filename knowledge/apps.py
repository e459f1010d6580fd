from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Hear cases' web form: a submission ends its visit's deflection (deflection.py)."""
        from cases.signals import web_case_submitted

        from .deflection import on_web_case_submitted

        web_case_submitted.connect(on_web_case_submitted, dispatch_uid="knowledge.deflection")
