"""Who may do what in quality (docs/quality.md): managers and admins run it; agents in the
Reviewer group review others; every agent sees their own reviews, coaching and goals."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group

from cases.models import Role, User

from .models_reviews import REVIEWER_GROUP

AnyUser = AbstractBaseUser | AnonymousUser


def _staff(user: AnyUser) -> User | None:
    return user if isinstance(user, User) and user.is_active and user.role else None


def is_manager(user: AnyUser) -> bool:
    """Managers and admins: scorecards, sampling, disputes, coaching, every review."""
    staff = _staff(user)
    return staff is not None and staff.role in (Role.MANAGER, Role.ADMIN)


def is_reviewer(user: AnyUser) -> bool:
    """May review tickets: managers, admins, and agents in the Reviewer group."""
    staff = _staff(user)
    if staff is None:
        return False
    if staff.role in (Role.MANAGER, Role.ADMIN):
        return True
    return any(group.name == REVIEWER_GROUP for group in staff.groups.all())


def is_staff_member(user: AnyUser) -> bool:
    """Any agent, manager or admin."""
    return _staff(user) is not None


def ensure_reviewer_group(**kwargs: object) -> None:
    """The Reviewer group exists after every migrate (post_migrate), empty until granted."""
    Group.objects.get_or_create(name=REVIEWER_GROUP)
