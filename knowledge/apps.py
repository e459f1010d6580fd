from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .search import register_sqlite_functions

        # The help-centre search on SQLite folds and matches words in Python (knowledge/search.py).
        connection_created.connect(
            register_sqlite_functions, dispatch_uid="knowledge-search-sqlite"
        )
