from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.errors import ValidationError
from cases.models import Language
from cases.services import update_preferences


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
    e-mails about tickets they get)."""
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
    return render(request, "cases/preferences.html", {"form": form}, status=status)
