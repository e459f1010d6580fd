"""API tokens (django-rest-knox): issue one, exchange one for a fresh one, revoke one.

Only a hash of each token is stored. A token expires `API_TOKEN_TTL_DAYS` after it was issued;
a client that wants to keep working exchanges its valid token for a new one (refresh) rather
than the expiry sliding on every use, so a token nobody refreshes dies on a known date.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from knox.models import AuthToken
from knox.settings import knox_settings

from ..errors import PermissionDenied
from ..models import User
from ..selectors import API_TOKEN_ID_LENGTH


def issue_api_token(*, user: User) -> tuple[AuthToken, str]:
    """A new token for `user`, valid for the configured lifetime. → (row, the secret, shown
    once)."""
    # knox is untyped: its manager's create() is Any.
    issued: tuple[AuthToken, str] = AuthToken.objects.create(user, expiry=knox_settings.TOKEN_TTL)
    return issued


def refresh_api_token(*, token: AuthToken) -> tuple[AuthToken, str]:
    """Replace a valid token with a new one of full lifetime. The old token stops working at
    once; of two refreshes racing with one token, one gets the new token, the other is
    refused (no token turns into two)."""
    with transaction.atomic():
        deleted, _kinds = AuthToken.objects.filter(digest=token.digest).delete()
        if not deleted:
            raise PermissionDenied(_("This token was revoked or refreshed already."))
        return issue_api_token(user=token.user)


def revoke_api_token(*, user: User, token_id: str) -> bool:
    """Revoke one of `user`'s own tokens, named by its public id. False (nothing changed)
    when `user` has no such token — another person's token included."""
    if len(token_id) != API_TOKEN_ID_LENGTH:
        return False
    deleted, _kinds = AuthToken.objects.filter(user=user, digest__startswith=token_id).delete()
    return bool(deleted)
