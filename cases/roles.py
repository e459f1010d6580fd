"""The three roles as Django groups with model permissions, kept in step after every migrate.

Pulso's own views decide by role (`User.role`); the permissions make the Django admin
match: agents may not use it, managers manage reference data and customers, see everyone
and change agents' everyday settings (cases/admin.py `UserAdmin` narrows "change user" to
that), and read the outbox; admins everything.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission

from .models import ROLE_GROUPS, Role

_MANAGER_MODELS = ("customer", "team", "category", "user")

ROLE_PERMISSIONS = {
    Role.AGENT: {
        ("cases", "view_ticket"),
        ("cases", "add_ticket"),
        ("cases", "change_ticket"),
        ("cases", "view_customer"),
        ("cases", "add_customer"),
        ("cases", "change_customer"),
        ("cases", "view_team"),
        ("cases", "view_category"),
        ("cases", "add_reply"),
        ("cases", "view_reply"),
        ("cases", "view_ticketevent"),
    },
}
ROLE_PERMISSIONS[Role.MANAGER] = (
    ROLE_PERMISSIONS[Role.AGENT]
    | {
        ("cases", f"{verb}_{model}")
        for model in _MANAGER_MODELS
        for verb in ("view", "add", "change")
    }
    # The outbox, read-only (the admin never changes it): a failed e-mail is theirs to see.
    | {("cases", "view_outboundemail")}
    # Organisations, read-only in the admin (the workspace's pages create and edit them).
    | {("cases", "view_organisation")}
)


def ensure_role_groups(**kwargs) -> None:
    for role, name in ROLE_GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions: Iterable[Permission]
        if role == Role.ADMIN:
            permissions = Permission.objects.all()
        else:
            wanted = ROLE_PERMISSIONS[role]
            permissions = [
                p
                for p in Permission.objects.select_related("content_type").filter(
                    content_type__app_label__in={app for app, _ in wanted}
                )
                if (p.content_type.app_label, p.codename) in wanted
            ]
        group.permissions.set(permissions)
