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
    assert {e.msgid: e.msgstr for e in compiled if e.msgid} == {
        e.msgid: e.msgstr for e in source if e.msgid and not e.obsolete and not e.msgid_plural
    } | {e.msgid: e.msgstr for e in compiled if e.msgid_plural}


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext not installed")
def test_the_catalogues_contain_every_string_of_the_code(tmp_path):
    """makemessages in a scratch copy of the sources: no string may come out untranslated."""
    for name in ("cases", "surveys", "metrics", "config", "templates", "locale"):
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
