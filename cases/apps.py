from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401 - registers Pulso's deployment checks
        from .roles import ensure_role_groups
        from .search import register_sqlite_functions

        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="cases-role-groups")
        # The ticket search on SQLite reads the tickets' text through Python functions.
        connection_created.connect(register_sqlite_functions, dispatch_uid="cases-search-sqlite")
