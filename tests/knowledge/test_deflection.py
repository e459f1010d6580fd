"""The web form's suggested articles and the deflection they count (docs/knowledge.md,
"Deflection"; docs/kpis.md "Self-service")."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge import deflection
from knowledge.kpis import self_service
from knowledge.models import ArticleView, DeflectionShown, DeflectionVisit, Status

SUGGEST = reverse("help:suggest")
TOKEN = re.compile(r'name="deflection_visit" value="([^"]+)"')


@pytest.fixture
def articles(write):
    """One of each status about passwords, and one about parcels."""
    return {
        "published": write(
            slug="reset-password",
            title_es="Cambiar la contraseña",
            body_es="Pulsa «¿Olvidaste tu contraseña?».",
            title_en="Reset your password",
            body_en="Choose 'Forgot your password?' on the sign-in page.",
        ),
        "spanish_only": write(
            slug="contrasena-olvidada",
            title_es="Contraseña olvidada en la aplicación",
            body_es="Abre la aplicación.",
        ),
        "draft": write(Status.DRAFT, slug="password-draft", title_es="", title_en="Password draft"),
        "internal": write(
            Status.INTERNAL, slug="password-internal", title_es="", title_en="Password internal"
        ),
        "parcel": write(slug="track-parcel", title_es="", title_en="Track your parcel"),
    }


def ask(client, subject, description="", token="", language="en"):
    return client.get(
        SUGGEST,
        {"subject": subject, "description": description, "deflection_visit": token},
        headers={"accept-language": language},
    )


def test_suggestions_are_published_articles_in_the_visitors_language(client, articles):
    response = ask(client, "I cannot remember my password")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reset your password" in html
    assert "Password draft" not in html and "Password internal" not in html
    assert "Contraseña olvidada" not in html  # no English title
    assert "Track your parcel" not in html
    assert response["Cache-Control"].startswith("private")

    spanish = ask(client, "No recuerdo mi contraseña", language="es").content.decode()
    assert "Cambiar la contraseña" in spanish and "Contraseña olvidada" in spanish


def test_a_visit_starts_when_something_is_shown_and_keeps_its_token(client, articles):
    assert TOKEN.search(ask(client, "hello there").content.decode()) is None
    assert not DeflectionVisit.objects.exists()

    token = TOKEN.search(ask(client, "password").content.decode()).group(1)
    again = ask(client, "parcel password", token=token).content.decode()
    assert TOKEN.search(again).group(1) == token
    visit = DeflectionVisit.objects.get()
    assert len(token) >= 32 and visit.language == "en"
    assert set(visit.shown.values_list("article__slug", flat=True)) == {
        "reset-password",
        "track-parcel",
    }


def test_opening_a_suggestion_is_recorded_and_opens_the_article(client, articles):
    token = TOKEN.search(ask(client, "password").content.decode()).group(1)
    response = client.get(reverse("help:open_suggestion", args=[token, "reset-password"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("help:article", args=["reset-password"])
    shown = DeflectionShown.objects.get(article=articles["published"])
    assert shown.opened_at is not None
    assert shown.visit.first_opened_at == shown.opened_at

    # an article the visit was not shown, or a forged token: nothing recorded
    client.get(reverse("help:open_suggestion", args=[token, "track-parcel"]))
    client.get(reverse("help:open_suggestion", args=["forged", "reset-password"]))
    assert DeflectionShown.objects.filter(opened_at__isnull=False).count() == 1
    # drafts never open from here
    draft = client.get(reverse("help:open_suggestion", args=[token, "password-draft"]))
    assert draft.status_code == 404


def test_submitting_the_web_form_records_the_visits_submission(
    client, articles, django_capture_on_commit_callbacks
):
    token = TOKEN.search(ask(client, "password").content.decode()).group(1)
    form = {
        "name": "Sofía Herrera",
        "email": "sofia@example.com",
        "subject": "Password",
        "description": "I cannot sign in.",
        "category": "",
        "website": "",
        "deflection_visit": token,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:new_case"), form)
    assert response.status_code == 302
    visit = DeflectionVisit.objects.get()
    assert visit.submitted_at is not None
    assert visit.shown.count() == 1


def test_the_form_page_carries_the_suggestions_container(client, db):
    html = client.get(reverse("portal:new_case")).content.decode()
    assert 'hx-get="/help/suggest/"' in html
    assert "delay:400ms" in html
    # The script that cuts what is sent to the subject and the description's beginning.
    assert "js/help_suggestions.js" in html


def test_the_script_sends_no_more_than_matching_reads(settings):
    script = (settings.BASE_DIR / "static" / "js" / "help_suggestions.js").read_text()
    assert f"subject: {{ chars: {deflection.SUBJECT_MAX_LENGTH}," in script
    assert f"description: {{ chars: {deflection.DESCRIPTION_MAX_LENGTH}," in script


def test_matching_reads_only_the_beginning_of_a_long_description(client, articles):
    filler = "x " * 260  # 520 characters, none of them a word to match
    assert "Reset your password" in ask(client, "", "password " + filler).content.decode()
    late = ask(client, "", filler + "password").content.decode()
    assert "Reset your password" not in late
    huge = ask(client, "", "password " + "ñ" * 4000)  # what once answered 414
    assert huge.status_code == 200 and "Reset your password" in huge.content.decode()


def test_deflected_only_after_thirty_minutes_without_submission(articles):
    now = timezone.now()
    visit = deflection.record_shown(
        token="", articles=[articles["published"]], language="en", now=now
    )
    assert visit is not None
    deflection.record_open(token=visit.token, article=articles["published"], now=now)
    today = timezone.localdate(now)
    period = (today, today + timedelta(days=1))

    soon = self_service(*period, now=now + timedelta(minutes=29))
    assert (soon["visits_shown"], soon["deflected"], soon["undecided"]) == (1, 0, 1)
    later = self_service(*period, now=now + timedelta(minutes=31))
    assert (later["visits_shown"], later["deflected"], later["undecided"]) == (1, 1, 0)

    # a submission 20 minutes after the opening: not deflected
    deflection.record_submission(token=visit.token, now=now + timedelta(minutes=20))
    assert self_service(*period, now=now + timedelta(minutes=31))["deflected"] == 0


def test_submission_after_the_window_still_counts_the_deflection(articles):
    now = timezone.now()
    visit = deflection.record_shown(
        token="", articles=[articles["published"]], language="en", now=now
    )
    deflection.record_open(token=visit.token, article=articles["published"], now=now)
    deflection.record_submission(token=visit.token, now=now + timedelta(minutes=45))
    today = timezone.localdate(now)
    result = self_service(today, today + timedelta(days=1), now=now + timedelta(hours=1))
    assert result["deflected"] == 1


def test_help_centre_views_are_counted_per_day_for_readers_not_staff(client, articles, marta):
    url = reverse("help:article", args=["reset-password"])
    client.get(url)
    client.get(url, headers={"if-none-match": "stale"})
    assert ArticleView.objects.get(article=articles["published"]).views == 2
    client.force_login(marta)
    client.get(url)
    assert ArticleView.objects.get(article=articles["published"]).views == 2
