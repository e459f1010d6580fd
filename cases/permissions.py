"""Who holds which role, for the decisions other code makes by role. One function per
question, so a role check is written once (quality's own questions live in
`quality.permissions`)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .models import Role, User

AnyUser = AbstractBaseUser | AnonymousUser


def is_admin(user: AnyUser | None) -> bool:
    """An active admin (in the Admin group, or a superuser): manages accounts in the Django
    admin, the trained models and the auto-apply rules. Managers are not admins; anonymous
    visitors and `None` are not either."""
    return isinstance(user, User) and user.is_active and user.role == Role.ADMIN
