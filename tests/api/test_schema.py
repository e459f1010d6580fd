import re

from django.core.management import call_command
from django.urls import reverse


def test_the_schema_generates_and_validates_without_warnings(db, tmp_path):
    # Same check as `manage.py spectacular --validate --fail-on-warn`: raises on any warning.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    schema = (tmp_path / "s.yml").read_text()
    for path in ("/api/v1/tickets/{id}/resolve/", "/api/v1/auth/token/", "/api/v1/me/"):
        assert f"  {path}:" in schema


def test_the_schema_is_served(client, db):
    response = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Pulso API"
    assert "/api/v1/tickets/" in response.json()["paths"]


def test_the_docs_render_from_local_files_with_no_inline_script(client, db):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in s for s in sources)
    assert all(not s.startswith("http") for s in sources)  # works offline
    assert len(sources) == html.count("<script")  # every script is a file: CSP script-src 'self'
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
