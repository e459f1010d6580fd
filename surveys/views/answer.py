"""The public survey page: the customer answers from the e-mail's link without logging in;
the link's token is the key.

A GET only shows the page (a score in the query string, from the e-mail's one-click links,
is pre-selected): mail scanners and link previewers follow every link, so only the
customer's POST records, through `answer_survey`. Unknown, malformed and
withdrawn-before-sending tokens all get the same plain 404; every request counts against the
client's rate limit, so tokens cannot be guessed.
"""

from contextlib import nullcontext

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from cases.models import Language

from ..errors import AlreadyAnswered, InvalidAnswer, InvitationNotFound, SurveyExpired
from ..forms import SurveyAnswerForm
from ..models import InvitationStatus, Source, SurveyInvitation
from ..services import answer_survey, invitation_for_token

# One budget per client IP for every page that takes a token.
RATE_GROUP = "surveys.token"

survey_rate_limit = ratelimit(
    group=RATE_GROUP,
    key="ip",
    rate=lambda group, request: settings.SURVEY_RATE,
    method=ratelimit.ALL,
    block=True,
)


def _invitation_or_404(token: str) -> SurveyInvitation:
    """The invitation behind a link. A survey withdrawn before it was sent never reached
    the customer: it is as unknown as a made-up token."""
    invitation = invitation_for_token(token)
    if invitation is None or invitation.status == InvitationStatus.CANCELLED:
        raise Http404
    return invitation


def _customer_language(request, invitation: SurveyInvitation):
    """The invitation's language, unless the visitor chose one with the language switcher
    (which sets the language cookie): then LocaleMiddleware has already activated theirs."""
    if (
        settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        or invitation.language not in Language.values
    ):
        return nullcontext()
    return translation.override(invitation.language)


def _private(response):
    """The URL holds the customer's token: no Referer to other sites, no caching.
    (`same-origin`, not `no-referrer`: the latter makes browsers send `Origin: null` on the
    form's POST, which Django's CSRF check refuses.)"""
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store, private"
    return response


def _respond(request, invitation: SurveyInvitation, page):
    with _customer_language(request, invitation):
        response = page()
        response["Content-Language"] = translation.get_language()
    return _private(response)


@require_http_methods(["GET", "HEAD", "POST"])
@survey_rate_limit
def answer(request, token):
    invitation = _invitation_or_404(token)
    return _respond(request, invitation, lambda: _answer_page(request, invitation, token))


@require_http_methods(["GET", "HEAD"])
@survey_rate_limit
def thanks(request, token):
    """Shown after the answer was recorded (PRG); before that, it sends back to the form."""
    invitation = _invitation_or_404(token)
    if invitation.status != InvitationStatus.ANSWERED:
        return _private(redirect("surveys:answer", token=token))
    return _respond(
        request,
        invitation,
        lambda: render(request, "surveys/thanks.html", {"ticket": invitation.ticket}),
    )


def _answer_page(request, invitation: SurveyInvitation, token: str):
    if invitation.status == InvitationStatus.ANSWERED:
        return _already_answered(request, invitation)
    if invitation.is_expired:
        return _expired(request, invitation)
    if request.method != "POST":
        preselected = {
            name: request.GET[name]
            for name in ("csat", "ces", "nps")
            if name in invitation.questions and name in request.GET
        }
        form = SurveyAnswerForm(invitation, initial=preselected)
        return _form_page(request, invitation, form, preselected=bool(preselected))

    form = SurveyAnswerForm(invitation, data=request.POST)
    if form.is_valid():
        try:
            answer_survey(invitation=invitation, source=Source.WEB, **form.answer())
        except AlreadyAnswered:
            return _already_answered(request, invitation)
        except SurveyExpired:
            return _expired(request, invitation)
        except InvitationNotFound:
            raise Http404 from None
        except InvalidAnswer as error:
            form.add_answer_errors(error.errors)
        else:
            return redirect("surveys:thanks", token=token)
    return _form_page(request, invitation, form, status=400)


def _form_page(request, invitation, form, *, preselected=False, status=200):
    return render(
        request,
        "surveys/answer.html",
        {
            "ticket": invitation.ticket,
            "form": form,
            "questions": form.questions(),
            "preselected": preselected,
        },
        status=status,
    )


def _already_answered(request, invitation):
    return render(request, "surveys/answer_already.html", {"ticket": invitation.ticket})


def _expired(request, invitation):
    return render(request, "surveys/expired.html", {"ticket": invitation.ticket}, status=410)
