"""The login forms of the workspace and of the Django admin, with the password budgets of
`cases.login_guard` (Django itself has no limit on password guessing)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import ngettext

from .login_guard import LoginAttempt


def too_many_attempts_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Too many failed sign-ins. Try again in %(minutes)d minute.",
        "Too many failed sign-ins. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class GuardedLoginMixin:
    """Counts the attempt before Django checks the password, and refuses it unchecked when a
    budget is spent. `retry_after` (seconds) is set on a refusal."""

    retry_after: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()  # nothing to check: Django reports the missing field
        attempt = LoginAttempt(self.request, username)
        if not attempt.begin():
            self.retry_after = attempt.retry_after
            raise forms.ValidationError(
                too_many_attempts_message(attempt.retry_after), code="rate_limited"
            )
        password_wrong = False
        try:
            return super().clean()
        except forms.ValidationError:
            # Django sets user_cache only when the password was right (the refusal is then
            # about the account: inactive, or not staff for the admin).
            password_wrong = self.user_cache is None
            raise
        finally:
            attempt.finish(password_wrong=password_wrong)


class LoginForm(GuardedLoginMixin, AuthenticationForm):
    """The workspace's login form."""


class AdminLoginForm(GuardedLoginMixin, AdminAuthenticationForm):
    """The Django admin's login form, under the same budgets as the workspace's."""
