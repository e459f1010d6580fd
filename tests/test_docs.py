"""The project's own documentation holds together: every link in README.md and docs/*.md
leads to a file of the repository (and to a heading of it, when it names one) and none leaves
the repository; every KPI the metrics API returns is defined in docs/kpis.md.

The definition convention in docs/kpis.md: a KPI is defined by a row of a table whose first
column is headed "KPI (API key)", with the KPI's API key in backticks in that first column
and its definition in the last one. The summary's objects are spelt out in the table of the
section "The summary": a row naming the key in backticks, and each of its fields in
backticks in the second column.
"""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.urls import reverse

from cases import services
from metrics.digest import DIGEST_LINES
from metrics.presentation.cards import KPI_CARDS
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.api.helpers import token_client
from tests.factories import CustomerFactory, make_ticket

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
KPIS_MD = ROOT / "docs" / "kpis.md"

# Absolute URLs a page may name: the Pulso that `make run` starts on this machine.
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


# --- reading markdown -------------------------------------------------------------------------

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
INLINE_LINK = re.compile(
    r"\]\(\s*(?:<(?P<angle>[^>\n]*)>|(?P<bare>[^()\s]+))"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)>?", re.MULTILINE)
ANGLE_LINK = re.compile(r"<([^<>\s]+)>")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
HTML_TAG = re.compile(r"^/?[A-Za-z][A-Za-z0-9-]*/?$")
ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")


def without_code_blocks(text: str) -> list[str]:
    """The lines of `text`, fenced code blocks blanked (line numbers kept)."""
    lines, fence = [], None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            lines.append("")
        elif match:
            fence = match.group(1)
            lines.append("")
        else:
            lines.append(line)
    return lines


def prose(text: str) -> str:
    """The text a reader follows links in: no code blocks, no code spans."""
    return CODE_SPAN.sub("", "\n".join(without_code_blocks(text)))


def links(text: str) -> list[str]:
    """Every link target: inline links and images, reference definitions, and `<…>`
    autolinks (a URL, an e-mail address, or a relative path); HTML tags are not links."""
    body = prose(text)
    targets = [m.group("angle") or m.group("bare") for m in INLINE_LINK.finditer(body)]
    targets += REFERENCE_DEFINITION.findall(body)
    for target in ANGLE_LINK.findall(body):
        if SCHEME.match(target) or "@" in target:
            targets.append(target if SCHEME.match(target) else f"mailto:{target}")
        elif not HTML_TAG.match(target) or "." in target:
            targets.append(target)
    return targets


def plain_heading(text: str) -> str:
    """A heading's text as rendered: links as their text, no code or emphasis markers."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("`", "").replace("*", "")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation removed, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", plain_heading(heading).strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a markdown file's headings; a repeated one gets -1, -2… as on GitHub."""
    seen: dict[str, int] = {}
    result = set()
    for line in without_code_blocks(path.read_text(encoding="utf-8")):
        match = ATX_HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def problem(source: Path, target: str) -> str | None:
    """What is wrong with `target`, linked from `source`; None if it is a good link."""
    if SCHEME.match(target):
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.hostname in LOCAL_HOSTS:
            return None  # the Pulso running on this machine, not a page elsewhere
        return "leaves the repository (an absolute URL)"
    path_part, _hash, anchor = target.partition("#")
    path_part = unquote(path_part)
    if path_part.startswith("/"):
        resolved = (ROOT / path_part.lstrip("/")).resolve()  # GitHub: from the repository root
    elif path_part:
        resolved = (source.parent / path_part).resolve()
    else:
        resolved = source
    if not resolved.is_relative_to(ROOT):
        return "leaves the repository"
    if not resolved.exists():
        return "names no file of the repository"
    if anchor:
        if resolved.suffix != ".md" or not resolved.is_file():
            return "has an anchor but is not a markdown file"
        if anchor not in anchors(resolved):
            return f"names no heading of {resolved.relative_to(ROOT)}"
    return None


# --- the rules for links ----------------------------------------------------------------------


def test_the_documentation_pages_exist():
    names = [str(path.relative_to(ROOT)) for path in DOCUMENTS]
    for name in ("README.md", "docs/README.md", "docs/kpis.md"):
        assert name in names


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_to_a_file_and_heading_of_the_repository(document):
    broken = [
        f"{target}: {reason}"
        for target in links(document.read_text(encoding="utf-8"))
        if (reason := problem(document, target)) is not None
    ]
    assert not broken, f"{document.relative_to(ROOT)}: {broken}"


def test_the_docs_index_and_the_readme_link_every_page_of_docs():
    pages = {path.name for path in (ROOT / "docs").glob("*.md")} - {"README.md"}
    index_text = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    index = {Path(target.partition("#")[0]).name for target in links(index_text)}
    assert pages <= index, f"not in docs/README.md: {sorted(pages - index)}"
    readme = set(links((ROOT / "README.md").read_text(encoding="utf-8")))
    for page in ("docs/README.md", "docs/architecture.md", "docs/operating.md"):
        assert page in readme, f"README.md does not link {page}"


# The checker itself: links it must find, and links it must refuse.


def test_links_are_found_outside_code_only():
    text = (
        'See [the KPIs](docs/kpis.md#survey-kpis "title") and <docs/import.md>.\n'
        "`[not a link](nowhere.md)` and <details> are not links.\n"
        "```\n[in a block](nowhere.md)\n```\n"
        "[ref]: docs/reliability.md\n"
    )
    assert links(text) == ["docs/kpis.md#survey-kpis", "docs/reliability.md", "docs/import.md"]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("docs/nothing-here.md", "names no file of the repository"),
        ("docs/kpis.md#no-such-heading", "names no heading of docs/kpis.md"),
        ("../shared/KPI.md", "leaves the repository"),
        ("docs/../../shared/KPI.md", "leaves the repository"),
        ("https://example.com/kpis", "leaves the repository (an absolute URL)"),
        ("mailto:someone@example.com", "leaves the repository (an absolute URL)"),
    ],
)
def test_a_broken_or_outward_link_is_refused(target, reason):
    assert problem(ROOT / "README.md", target) == reason


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("README.md", "docs/kpis.md"),
        ("README.md", "docs/kpis.md#survey-kpis"),
        ("README.md", "http://127.0.0.1:8000/tickets/"),
        ("docs/architecture.md", "kpis.md#the-summary"),
        ("docs/kpis.md", "#survey-kpis"),
        ("docs/kpis.md", "../README.md"),
    ],
)
def test_a_good_link_is_accepted(source, target):
    assert problem(ROOT / source, target) is None


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Several hosts and a read replica", "several-hosts-and-a-read-replica"),
        ("Start it (two commands, a fresh machine with Python 3.11 and git)",
         "start-it-two-commands-a-fresh-machine-with-python-311-and-git"),
        ("KPIs, dashboard and history import", "kpis-dashboard-and-history-import"),
        ("`metrics/kpis.py`: the engine", "metricskpispy-the-engine"),
        ("Add a KPI", "add-a-kpi"),
    ],
)  # fmt: skip
def test_anchors_follow_githubs_rules(heading, anchor):
    assert slug(heading) == anchor


# --- KPI definitions --------------------------------------------------------------------------


def kpi_tables(text: str) -> dict[str, str]:
    """{API key: its definition} from the rows of the "KPI (API key)" tables."""
    defined: dict[str, str] = {}
    in_table = False
    for line in without_code_blocks(text):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|"):
            in_table = False
        elif cells[0] == "KPI (API key)":
            in_table = True
        elif in_table and not set(cells[0]) <= set("-: "):
            for key in re.findall(r"`([^`]+)`", cells[0]):
                defined[key] = cells[-1]
    return defined


def summary_table(text: str) -> dict[str, str]:
    """{key: what it holds} from the table of the section "The summary"."""
    section = re.search(r"^## The summary\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, 'docs/kpis.md has no section "The summary"'
    rows = {}
    for line in section.group(1).splitlines():
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            for key in re.findall(r"`([^`]+)`", cells[0]):
                rows[key] = cells[-1]
    return rows


def fields(value: dict, skip=("distribution",)) -> set[str]:
    """The field names of a summary object, nested objects' too (not the score counts)."""
    names = set()
    for name, inner in value.items():
        names.add(name)
        if isinstance(inner, dict) and name not in skip:
            names |= fields(inner, skip)
    return names


@pytest.fixture
def small_desk(ana, team_n1):
    """A ticket answered, resolved and surveyed; another still waiting for its answer."""
    ticket = make_ticket(by=ana, team=team_n1, assignee=ana, customer=CustomerFactory())
    services.add_reply(ticket=ticket, by=ana, body="Done")
    services.resolve_ticket(ticket=ticket, by=ana, resolution="Fixed")
    answer_survey(invitation=SurveyInvitation.objects.get(ticket=ticket), csat=4, nps=9, ces=6)
    make_ticket(by=ana, team=team_n1, customer=CustomerFactory())


@pytest.fixture
def manager_api(marta):
    return token_client(marta)


def summary_of(client) -> dict:
    response = client.get(reverse("metrics_api:metrics-summary"))
    assert response.status_code == 200
    return response.json()


def kpis_the_api_takes(client) -> list[str]:
    """The `kpi` values the time series endpoint accepts, as its published schema lists
    them, each checked to come back from the endpoint itself."""
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/metrics/timeseries/"]["get"]
    [kpi] = [p for p in operation["parameters"] if p["name"] == "kpi"]
    names = kpi["schema"]["enum"]
    for name in names:
        answer = client.get(
            reverse("metrics_api:metrics-timeseries"), {"kpi": name, "interval": "month"}
        )
        assert answer.status_code == 200, (name, answer.content)
        assert answer.json()["kpi"] == name
    return names


@pytest.mark.django_db
def test_every_kpi_the_metrics_api_returns_is_defined_in_kpis_md(small_desk, manager_api):
    summary_keys = set(summary_of(manager_api)) - {"period"}
    series_keys = set(kpis_the_api_takes(manager_api))
    defined = kpi_tables(KPIS_MD.read_text(encoding="utf-8"))

    assert len(summary_keys) > 10 and len(series_keys) > 10  # the API was read, not nothing
    missing = sorted((summary_keys | series_keys) - set(defined))
    assert not missing, f"KPIs the API returns with no row in docs/kpis.md: {missing}"
    empty = sorted(key for key in summary_keys | series_keys if not defined[key])
    assert not empty, f"rows of docs/kpis.md without a definition: {empty}"


@pytest.mark.django_db
def test_every_field_of_the_summary_is_spelt_out_in_kpis_md(small_desk, manager_api):
    summary = summary_of(manager_api)
    rows = summary_table(KPIS_MD.read_text(encoding="utf-8"))
    for key, value in summary.items():
        assert key in rows, f"docs/kpis.md, The summary: no row for `{key}`"
        if isinstance(value, dict):
            named = set(re.findall(r"`([^`]+)`", rows[key]))
            missing = sorted(fields(value) - named)
            assert not missing, f"docs/kpis.md, The summary, `{key}`: {missing} not named"


def test_every_kpi_the_dashboard_and_the_digest_show_is_defined_in_kpis_md():
    defined = kpi_tables(KPIS_MD.read_text(encoding="utf-8"))
    shown = {card.key for card in KPI_CARDS} | {line[0] for line in DIGEST_LINES}
    missing = sorted(shown - set(defined))
    assert not missing, f"shown on the dashboard or in the digest, not in docs/kpis.md: {missing}"


def test_a_kpi_without_its_row_is_caught():
    text = KPIS_MD.read_text(encoding="utf-8")
    assert "fcr" in kpi_tables(text)
    without = "\n".join(line for line in text.splitlines() if "(`fcr`)" not in line)
    assert "fcr" not in kpi_tables(without)


# --- the operating guide's settings -----------------------------------------------------------

OPERATING_MD = ROOT / "docs" / "operating.md"
VARIABLE = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def variables_read_from_the_environment() -> set[str]:
    """The environment variables config/settings.py reads (SECRET_KEY through config/env.py)."""
    settings_py = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    env_py = (ROOT / "config" / "env.py").read_text(encoding="utf-8")
    names = set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]*)"', settings_py))
    return names | set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"', env_py))


def configuration_table_variables(text: str) -> set[str]:
    """The variables in the first column of the tables of the section "Configuration"."""
    section = re.search(r"^## Configuration\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, 'docs/operating.md has no section "Configuration"'
    names = set()
    for line in section.group(1).splitlines():
        if line.startswith("|"):
            names |= set(VARIABLE.findall(line.strip().strip("|").split("|")[0]))
    return names


def test_every_environment_variable_of_the_settings_is_in_the_operating_guide():
    read = variables_read_from_the_environment()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "IMAP_HOST"} <= read
    named = set(VARIABLE.findall(OPERATING_MD.read_text(encoding="utf-8")))
    missing = sorted(read - named)
    assert not missing, f"read by config/settings.py, not in docs/operating.md: {missing}"


def test_every_variable_the_operating_guide_configures_is_read_by_the_settings():
    documented = configuration_table_variables(OPERATING_MD.read_text(encoding="utf-8"))
    unknown = sorted(documented - variables_read_from_the_environment())
    assert not unknown, f"in docs/operating.md, read by no setting: {unknown}"
