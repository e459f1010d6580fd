from django.contrib.auth import views as auth_views

from ..forms_auth import LoginForm


class LoginView(auth_views.LoginView):
    """Django's login under Pulso's password budgets (`cases.login_guard`): a refused attempt
    is a 429 with Retry-After, on the form that keeps the username typed."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response
