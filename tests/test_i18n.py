"""Spanish and English ship complete: every translatable string in the code has a Spanish
translation, and the catalogues are in step with the code."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"


@pytest.mark.parametrize("domain", ["django"])
def test_every_spanish_entry_is_translated_and_none_is_fuzzy(domain):
    catalogue = polib.pofile(str(LOCALE / "es" / "LC_MESSAGES" / f"{domain}.po"))
    missing = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert not missing, f"untranslated: {missing[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_the_compiled_spanish_catalogue_matches_the_source():
    source = polib.pofile(str(LOCALE / "es" / "LC_MESSAGES" / "django.po"))
    compiled = polib.mofile(str(LOCALE / "es" / "LC_MESSAGES" / "django.mo"))
    # Keyed by context too: the noun "Change" (pgettext) and the verb are different entries.
    assert {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid} == {
        (e.msgctxt, e.msgid): e.msgstr
        for e in source
        if e.msgid and not e.obsolete and not e.msgid_plural
    } | {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid_plural}


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext not installed")
def test_the_catalogues_contain_every_string_of_the_code(tmp_path):
    """makemessages in a scratch copy of the sources: no string may come out untranslated."""
    for name in (
        "cases",
        "surveys",
        "metrics",
        "knowledge",
        "quality",
        "insights",
        "config",
        "templates",
        "locale",
    ):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "VAR_DIR": str(tmp_path / "var")},
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in fresh if not e.obsolete and not e.translated()]
    assert not untranslated, f"strings without a Spanish translation: {untranslated[:20]}"


def test_the_login_page_speaks_spanish_to_a_spanish_browser(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    assert 'lang="es"' in page.content.decode()
    assert "Contraseña" in page.content.decode()


def test_the_language_switcher_changes_the_language(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es")
    assert 'lang="en"' in page.content.decode()
    assert "Password" in page.content.decode()


# --- Pulso says "tú", also through Django's and the libraries' own messages -------------------

USTED = ("Introduzca", "Asegúrese", "Escoja", "Seleccione", "Usted", "usted", "Su contraseña")


def spanish(client, method: str, url: str, data=None):
    response = getattr(client, method)(url, data, HTTP_ACCEPT_LANGUAGE="es")
    return response, response.content.decode()


def test_the_login_forms_refusal_says_tu(client, ana):
    _response, html = spanish(
        client, "post", reverse("login"), {"username": "ana", "password": "x"}
    )
    assert "Introduce un nombre de usuario y una contraseña correctos." in html
    assert not any(word in html for word in USTED)


def test_form_validation_messages_say_tu(client, ana):
    client.force_login(ana)
    _response, html = spanish(
        client,
        "post",
        reverse("cases:customer_create"),
        {"name": "Rosa", "email": "not-an-address", "language": "es"},
    )
    assert "Introduce una dirección de correo electrónico válida." in html
    assert not any(word in html for word in USTED)


def test_a_choice_that_is_not_offered_is_refused_in_tu(client, ana):
    client.force_login(ana)
    _response, html = spanish(client, "post", reverse("preferences"), {"language": "klingon"})
    assert "Elige una opción válida." in html
    assert "Escoja" not in html


def test_the_password_rules_say_tu(db):
    from django.contrib.auth.password_validation import password_validators_help_texts
    from django.utils import translation

    with translation.override("es"):
        rules = " ".join(password_validators_help_texts())
    assert "Tu contraseña no puede tener solo números." in rules
    assert "Su contraseña" not in rules


def test_the_api_refuses_in_tu(client, ana):
    client.force_login(ana)
    response = client.get("/api/v1/teams/", HTTP_ACCEPT_LANGUAGE="es")
    if response.status_code == 403:  # a role the directory is closed to
        assert response.json()["detail"] == "No tienes permiso para realizar esta acción."
    from django.utils import translation
    from rest_framework.exceptions import PermissionDenied

    with translation.override("es"):
        assert (
            str(PermissionDenied.default_detail) == "No tienes permiso para realizar esta acción."
        )


def test_the_expired_form_page_says_tu(db):
    from django.test import Client

    page = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "ana", "password": "x"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    html = page.content.decode()
    assert page.status_code == 403
    assert "Vuelve atrás, recarga la página y envíalo de nuevo." in html
    assert not any(word in html for word in USTED)


def test_the_admin_says_tu(client, adrian, team_n1):
    client.force_login(adrian)
    response, html = spanish(client, "get", reverse("admin:cases_team_changelist"))
    assert response.status_code == 200
    assert "Selecciona equipo para modificar" in html
    assert "Seleccione" not in html


def test_the_navigation_bar_names_the_role_in_spanish(client, marta, ana):
    for user, role in ((ana, "Agente"), (marta, "Supervisor")):
        client.force_login(user)
        _response, html = spanish(client, "get", reverse("cases:queue"))
        assert f"· {role}</p>" in html  # the user menu's header
    _response, html = spanish(client, "get", reverse("cases:queue"))
    assert "· Manager" not in html and "· Agent<" not in html


def test_the_kpi_csv_calls_the_change_a_noun(client, marta):
    client.force_login(marta)
    response = client.get(reverse("metrics:export", args=["summary"]), HTTP_ACCEPT_LANGUAGE="es")
    header = b"".join(response.streaming_content if response.streaming else [response.content])
    first_line = header.decode("utf-8-sig").splitlines()[0]
    assert "Cambio" in first_line and "Cambiar" not in first_line
    # The language switcher keeps its verb.
    client.logout()
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert ">Cambiar</button>" in html


def test_the_sla_policy_label_starts_with_a_capital(client, ana, team_n1):
    from cases.models import SLAPolicy
    from tests.factories import make_ticket

    SLAPolicy.objects.create(
        name="Alta", priority="high", first_response_minutes=60, resolution_minutes=480
    )
    ticket = make_ticket(by=ana, team=team_n1, priority="high")
    client.force_login(ana)
    _response, html = spanish(client, "get", reverse("cases:ticket_detail", args=[ticket.pk]))
    assert ">Política de SLA</dt>" in html
    assert ">política de SLA" not in html


def test_pulsos_own_spanish_never_says_usted():
    catalogue = polib.pofile(str(LOCALE / "es" / "LC_MESSAGES" / "django.po"))
    formal = [
        e.msgid
        for e in catalogue
        if not e.obsolete
        for text in [e.msgstr, *e.msgstr_plural.values()]
        if any(word in text.split() for word in ("usted", "Usted", "Introduzca", "Seleccione"))
        or text.startswith(("Asegúrese", "Escoja", "Use ", "Por favor, introduzca"))
    ]
    assert not formal, formal[:10]
