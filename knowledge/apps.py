from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Hear cases' web form (a submission ends its visit's deflection, deflection.py) and
        demo loader (the help centre's demo articles and history, demo.py)."""
        from cases.signals import demo_loaded, web_case_submitted

        from .deflection import on_web_case_submitted
        from .demo import on_demo_loaded

        web_case_submitted.connect(on_web_case_submitted, dispatch_uid="knowledge.deflection")
        demo_loaded.connect(on_demo_loaded, dispatch_uid="knowledge.demo")
