from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.errors import ValidationError
from cases.models import Language
from cases.selectors import api_token_id, api_tokens_of
from cases.services import update_preferences
from cases.services.api_tokens import revoke_api_token


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    weekly_digest = forms.BooleanField(
        label=gettext_lazy("Send me the weekly KPI digest by e-mail"), required=False
    )
    is_available = forms.BooleanField(
        label=gettext_lazy("Available: my teams may assign me new cases automatically"),
        required=False,
    )
    notify_assigned = forms.BooleanField(
        label=gettext_lazy("E-mail me when a ticket is assigned to me"), required=False
    )
    notify_escalated = forms.BooleanField(
        label=gettext_lazy("E-mail me when a ticket is escalated to one of my teams"),
        required=False,
    )


@login_required
def preferences(request):
    """The signed-in person's own settings (language, weekly digest, availability, which
    e-mails about tickets they get), and their API tokens."""
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={
            "language": user.language,
            "weekly_digest": user.weekly_digest,
            "is_available": user.is_available,
            "notify_assigned": user.notify_assigned,
            "notify_escalated": user.notify_escalated,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_preferences(user=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            translation.activate(user.language)
            messages.success(request, _("Your preferences are saved."))
            response = redirect("preferences")
            response.set_cookie(
                "django_language",
                user.language,
                samesite="Lax",
                httponly=True,
                secure=request.is_secure(),
            )
            return response
    status = 400 if request.method == "POST" else 200
    tokens = [
        {"id": api_token_id(token), "created": token.created, "expiry": token.expiry}
        for token in api_tokens_of(user)
    ]
    context = {
        "form": form,
        "api_tokens": tokens,
        "api_token_days": settings.API_TOKEN_TTL_DAYS,
    }
    return render(request, "cases/preferences.html", context, status=status)


@login_required
@require_POST
def revoke_api_token_view(request, token_id: str):
    """Revoke one of the signed-in person's API tokens (someone else's is a 404)."""
    if not revoke_api_token(user=request.user, token_id=token_id):
        raise Http404
    messages.success(request, _("The API token is revoked: it no longer works."))
    return redirect("preferences")
