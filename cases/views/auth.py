from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit


@method_decorator(
    ratelimit(key="ip", rate=lambda g, r: settings.LOGIN_RATE, method="POST", block=True),
    name="post",
)
@method_decorator(
    ratelimit(
        key="post:username", rate=lambda g, r: settings.LOGIN_RATE, method="POST", block=True
    ),
    name="post",
)
class LoginView(auth_views.LoginView):
    """Django's login with a per-IP and per-username rate limit (Django has none)."""

    redirect_authenticated_user = True
