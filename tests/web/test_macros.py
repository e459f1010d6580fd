"""Macros in the workspace: the picker finds the macros the agent may use, the preview fills
the reply box without changing anything, sending applies the macro, and the macro pages let
each person edit only what is theirs."""

import re

import pytest
from django.urls import reverse

from cases import services
from cases.models import Macro, MacroUse, Priority, Reply, Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def macros(marta, ana, bruno, team_n2):
    return {
        "shared": services.save_macro(
            by=marta,
            shared=True,
            title="Envío retrasado",
            body_es="Hola {{ customer.first_name }}, tu pedido {{ ticket.reference }} sale mañana.",
            body_en="Hi {{ customer.first_name }}, your order ships tomorrow.",
            set_priority=Priority.HIGH,
            add_tags="envío-retrasado",
        ),
        "n2": services.save_macro(
            by=marta, shared=True, teams=[team_n2], title="Solo N2", body_es="Hola N2"
        ),
        "ana": services.save_macro(by=ana, title="Firma de Ana", body_es="Saludos, Ana"),
        "bruno": services.save_macro(by=bruno, title="Firma de Bruno", body_es="Saludos, Bruno"),
    }


def picker(client, ticket, q=""):
    return client.get(reverse("cases:macro_picker", args=[ticket.pk]), {"q": q}).content.decode()


def test_the_picker_offers_only_the_agents_macros_matching_the_search(client, ana, ticket, macros):
    client.force_login(ana)
    page = picker(client, ticket)
    titles = re.findall(r'<span class="fw-semibold">([^<]+)</span>', page)
    assert sorted(titles) == ["Envío retrasado", "Firma de Ana"]
    assert re.findall(
        r'<span class="fw-semibold">([^<]+)</span>', picker(client, ticket, "firma")
    ) == ["Firma de Ana"]
    assert "No macro matches" in picker(client, ticket, "zzz")


def test_the_preview_fills_the_reply_and_changes_nothing(client, ana, ticket, macros):
    client.force_login(ana)
    before = Ticket.objects.get(pk=ticket.pk)
    url = reverse("cases:macro_preview", args=[ticket.pk, macros["shared"].pk])
    page = client.get(url).content.decode()
    assert f"Hola Lucía, tu pedido {ticket.reference} sale mañana." in page
    assert "set the priority to High" in page and "envío-retrasado" in page
    assert f'name="macro" value="{macros["shared"].pk}"' in page
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.version, after.priority) == (before.version, before.priority)
    assert not Reply.objects.exists() and not MacroUse.objects.exists()
    # Another agent's personal macro cannot even be previewed.
    other = reverse("cases:macro_preview", args=[ticket.pk, macros["bruno"].pk])
    assert client.get(other).status_code == 404


def test_sending_the_reply_applies_the_macro_with_the_edited_text(client, ana, ticket, macros):
    client.force_login(ana)
    version = Ticket.objects.get(pk=ticket.pk).version
    response = client.post(
        reverse("cases:ticket_action", args=[ticket.pk, "reply"]),
        {
            "body": "Hola Lucía, tu pedido sale mañana a primera hora.",
            "kind": "public",
            "macro": macros["shared"].pk,
            "version": version,
        },
    )
    assert response.status_code == 302
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.priority == Priority.HIGH and after.status == Status.OPEN
    assert list(after.tags.values_list("name", flat=True)) == ["envío-retrasado"]
    assert Reply.objects.get().body == "Hola Lucía, tu pedido sale mañana a primera hora."
    assert MacroUse.objects.get().macro == macros["shared"]
    page = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Macro “Envío retrasado” applied." in page


def test_a_forged_macro_id_is_refused_and_nothing_is_sent(client, ana, ticket, macros):
    client.force_login(ana)
    for macro in (macros["bruno"], macros["n2"]):
        response = client.post(
            reverse("cases:ticket_action", args=[ticket.pk, "reply"]),
            {
                "body": "Hola",
                "kind": "public",
                "macro": macro.pk,
                "version": Ticket.objects.get(pk=ticket.pk).version,
            },
        )
        assert response.status_code == 403
    assert not Reply.objects.exists()


def test_each_person_edits_only_their_macros(client, ana, marta, macros):
    client.force_login(ana)
    listing = client.get(reverse("cases:macro_list")).content.decode()
    assert "Firma de Ana" in listing and "Envío retrasado" in listing
    assert "Firma de Bruno" not in listing and "Solo N2" not in listing
    assert reverse("cases:macro_edit", args=[macros["ana"].pk]) in listing
    assert reverse("cases:macro_edit", args=[macros["shared"].pk]) not in listing
    for macro in ("shared", "bruno"):
        url = reverse("cases:macro_edit", args=[macros[macro].pk])
        assert client.get(url).status_code == 404
        assert (
            client.post(url, {"title": "Robada", "body_es": "x", "public": "1"}).status_code == 404
        )
    assert Macro.objects.get(pk=macros["shared"].pk).title == "Envío retrasado"

    client.force_login(marta)
    url = reverse("cases:macro_edit", args=[macros["shared"].pk])
    page = client.get(url).content.decode()
    assert 'name="shared"' in page and 'name="teams"' in page


def test_an_agent_creates_a_personal_macro_and_a_bad_one_keeps_what_was_typed(client, ana):
    client.force_login(ana)
    url = reverse("cases:macro_create")
    page = client.get(url).content.decode()
    assert 'name="shared"' not in page  # agents do not share
    bad = client.post(
        url,
        {
            "title": "Saludo",
            "body_es": "Hola {{ settings.SECRET_KEY }}",
            "public": "1",
            "is_active": "on",
        },
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "is not a placeholder Pulso knows" in html
    assert "Hola {{ settings.SECRET_KEY }}" in html
    assert not Macro.objects.exists()

    good = client.post(
        url,
        {
            "title": "Saludo",
            "body_es": "Hola {{ customer.first_name }}",
            "public": "1",
            "is_active": "on",
            "shared": "on",
        },
    )
    assert good.status_code == 302
    macro = Macro.objects.get()
    assert macro.owner == ana  # "shared" is ignored: not a field agents have
