"""Comment sentiment: survey comments labelled by their own scores teach a model that then reads
the customer's messages on open tickets, so an agent sees an unhappy customer before any
survey does."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    Channel,
    Customer,
    EventKind,
    Reply,
    Status,
    Team,
    Ticket,
    TicketEvent,
)
from cases.services import add_customer_reply, add_reply
from insights import store
from insights.models import ModelKind, ModelStatus, TrainedModel
from insights.sentiment import customer_messages, read_mood, ticket_mood
from insights.services.training import train_model
from insights.training.sentiment import HAPPY, UNHAPPY, UNHAPPY_AT, case_words, label_of
from surveys.models import FollowUp, Source, SurveyInvitation, SurveyResponse
from surveys.services import answer_rows, clean_answer, history_invitation
from tests.api.helpers import token_client
from tests.factories import CustomerFactory, make_ticket

WORDS = {
    UNHAPPY: {
        "es": [
            "llevo una semana esperando",
            "nadie me responde",
            "sigo esperando",
            "no funciona nada",
            "qué desastre de servicio",
            "estoy harta",
            "me han cobrado dos veces",
        ],
        "en": [
            "terrible service",
            "still waiting",
            "nobody answers my emails",
            "not good at all",
            "a waste of time",
            "really disappointed",
        ],
    },
    HAPPY: {
        "es": [
            "muy amable",
            "rápido y claro",
            "todo resuelto",
            "un placer",
            "muchas gracias por la ayuda",
            "excelente atención",
        ],
        "en": [
            "great help, thanks",
            "quick and friendly",
            "solved in minutes",
            "very helpful agent",
            "excellent support",
            "lovely people",
        ],
    },
}
# What any comment may say, whatever the mood: it must teach nothing.
FILLER = {
    "es": ["el pedido", "la factura", "mi cuenta", "la entrega", "con el envío", "hoy"],
    "en": ["the order", "my invoice", "my account", "the delivery", "the parcel", "today"],
}


def scores_for(label: str | None, rng: random.Random) -> dict[str, int | None]:
    if label == UNHAPPY:
        return rng.choice(
            [
                {"csat": rng.randint(1, 2), "nps": rng.randint(0, 6)},
                {"csat": rng.randint(1, 2), "nps": None},
                {"csat": None, "nps": rng.randint(0, 6)},
            ]
        )
    if label == HAPPY:
        return rng.choice(
            [
                {"csat": rng.randint(4, 5), "nps": rng.randint(7, 10)},
                {"csat": rng.randint(4, 5), "nps": None},
                {"csat": None, "nps": rng.randint(9, 10)},
            ]
        )
    return rng.choice([{"csat": 3, "nps": None}, {"csat": None, "nps": rng.randint(7, 8)}])


def answered_comments(count: int, *, seed: int = 11, noise: float = 0.08) -> list[SurveyResponse]:
    """`count` answered surveys with a comment, one every ten minutes up to now, written the
    way the services write history (`history_invitation`, `clean_answer`, `answer_rows`): about
    a third unhappy, a tenth neither (a CSAT of 3, an NPS passive), the rest happy; `noise`: the
    share whose words are the other mood's (a customer who thanks and scores 1)."""
    rng = random.Random(seed)
    team, _ = Team.objects.get_or_create(name="Soporte", defaults={"level": 1})
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"Cliente {i}", email=f"s{seed}-{i}@example.com", language=("es", "en")[i % 2]
        )
        for i in range(30)
    )
    start = timezone.now() - timedelta(minutes=10 * count + 60)
    tickets = Ticket.objects.bulk_create(
        Ticket(
            subject=f"Consulta {i}",
            description="Tengo una consulta sobre mi pedido.",
            customer=customers[i % len(customers)],
            team=team,
            channel=Channel.EMAIL,
            status=Status.RESOLVED,
            created_at=start + timedelta(minutes=10 * i),
            updated_at=start + timedelta(minutes=10 * i + 5),
            resolved_at=start + timedelta(minutes=10 * i + 5),
            resolution="Resuelto",
        )
        for i in range(count)
    )
    events = TicketEvent.objects.bulk_create(
        TicketEvent(ticket=t, kind=EventKind.RESOLVED, at=t.resolved_at or t.created_at)
        for t in tickets
    )
    now = timezone.now()
    invitations, responses, follow_ups = [], [], []
    for ticket, event in zip(tickets, events, strict=True):
        invitations.append(
            history_invitation(
                ticket=ticket, resolution_event=event, sent_at=event.at, answered=True, now=now
            )
        )
    SurveyInvitation.objects.bulk_create(invitations)
    for i, invitation in enumerate(invitations):
        draw = rng.random()
        label = UNHAPPY if draw < 0.35 else (None if draw < 0.45 else HAPPY)
        language = invitation.customer.language
        said = label or rng.choice([UNHAPPY, HAPPY])
        if label and rng.random() < noise:
            said = HAPPY if label == UNHAPPY else UNHAPPY
        words = rng.sample(WORDS[said][language], 2) + rng.sample(FILLER[language], 2)
        rng.shuffle(words)
        answer = clean_answer(
            invitation, comment=", ".join(words).capitalize() + ".", **scores_for(label, rng)
        )
        response, follow_up = answer_rows(
            invitation,
            answer,
            source=Source.IMPORT,
            at=(invitation.sent_at or now) + timedelta(minutes=3 + i % 5),
            alerted=True,
        )
        responses.append(response)
        if follow_up is not None:
            follow_ups.append(follow_up)
    SurveyInvitation.objects.bulk_update(invitations, ["status", "answered_at"])
    SurveyResponse.objects.bulk_create(responses)
    FollowUp.objects.bulk_create(follow_ups)
    return responses


@pytest.fixture
def trained(db):
    answered_comments(400)
    record = train_model(kind=ModelKind.SENTIMENT)
    assert record.status == ModelStatus.READY, record.message
    return record


def open_ticket(agent, team, description: str, *replies: str) -> Ticket:
    """An open ticket of `team`: the customer's description, an agent's answer, then the
    customer's `replies`."""
    customer = CustomerFactory.create(email=f"{abs(hash(description))}@example.com")
    ticket = make_ticket(by=agent, customer=customer, team=team, description=description)
    add_reply(ticket=ticket, by=agent, body="Lo estamos mirando, gracias por tu paciencia.")
    for body in replies:
        add_customer_reply(ticket=ticket, body=body)
    return Ticket.objects.get(pk=ticket.pk)


def panel(client, ticket):
    return client.get(reverse("insights:ticket_sentiment", args=[ticket.pk]))


def api(client, ticket):
    return client.get(reverse("insights-api:insights-ticket-sentiment", args=[ticket.pk]))


# --- the label rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("csat", "nps", "label"),
    [
        (1, None, UNHAPPY),
        (2, 9, UNHAPPY),  # a CSAT of 2 says it, whatever the NPS
        (None, 6, UNHAPPY),  # a detractor
        (3, 4, UNHAPPY),
        (4, None, HAPPY),
        (5, 8, HAPPY),
        (None, 9, HAPPY),  # a promoter
        (3, None, None),  # neither
        (None, 7, None),  # a passive
        (3, 8, None),
        (5, 3, None),  # scores that contradict each other teach nothing
        (None, None, None),  # only the effort score
    ],
)
def test_a_comment_is_labelled_by_its_own_scores(csat, nps, label):
    assert label_of(csat, nps) == label


# --- training and measurement -----------------------------------------------------------------


@pytest.mark.django_db
def test_an_empty_desk_gets_no_model_and_says_how_much_it_needs():
    record = train_model(kind=ModelKind.SENTIMENT)
    assert record.status == ModelStatus.TOO_LITTLE_DATA
    assert record.quality == {"needed": 60, "have": 0}
    assert record.artifact == ""


@pytest.mark.django_db
def test_comments_without_a_clear_score_do_not_count(settings):
    settings.INSIGHTS_MIN_COMMENTS = 100
    responses = answered_comments(100)
    clear = sum(label_of(r.csat, r.nps) is not None for r in responses)
    assert 60 < clear < 100
    record = train_model(kind=ModelKind.SENTIMENT)
    assert record.status == ModelStatus.TOO_LITTLE_DATA
    assert record.quality == {"needed": 100, "have": clear}


def test_the_model_beats_the_majority_baseline_on_the_newest_fifth(trained):
    figures = trained.quality
    labelled = trained.documents
    assert 330 < labelled < 380  # a tenth of the 400 had no clear score
    assert figures["tested_on"] == round(labelled * 0.2)
    assert figures["trained_on"] == labelled - figures["tested_on"]
    assert figures["accuracy"] > figures["baseline_accuracy"] + 0.2
    assert figures["macro_f1"] > figures["baseline_macro_f1"] + 0.4
    # 8 % of the comments say the other mood than their scores on purpose.
    assert figures["accuracy"] >= 0.85
    assert figures["beats_baseline"] is True


SAID_BEFORE = {
    UNHAPPY: {
        "es": "Sigo esperando, nadie me responde, qué desastre de servicio",
        "en": "Still waiting, nobody answers my emails, terrible service",
    },
    HAPPY: {
        "es": "Muchas gracias por la ayuda, muy amable",
        "en": "Great help, thanks, very helpful agent",
    },
}


@pytest.mark.django_db
def test_it_is_also_measured_on_what_the_newest_customers_wrote_before_answering():
    """The ticket page reads messages, not comments: the hold-out's customers are read on
    their own replies written before they answered, and the figures say how many unhappy
    ones it would have warned about and how often a warning was right."""
    responses = answered_comments(400)
    rows = []
    for response in responses:
        label = label_of(response.csat, response.nps)
        language = response.ticket.customer.language
        if label is not None:  # what they wrote on the case, in the mood they then scored
            rows.append(
                Reply(
                    ticket=response.ticket,
                    body=SAID_BEFORE[label][language],
                    created_at=response.answered_at - timedelta(minutes=2),
                )
            )
            # After answering: not what the survey followed, so not read.
            rows.append(
                Reply(
                    ticket=response.ticket,
                    body=SAID_BEFORE[HAPPY if label == UNHAPPY else UNHAPPY][language],
                    created_at=response.answered_at + timedelta(minutes=1),
                )
            )
    Reply.objects.bulk_create(rows)
    record = train_model(kind=ModelKind.SENTIMENT)
    figures = record.quality["messages"]
    tested = record.quality["tested_on"]
    newest = sorted(
        (r for r in responses if label_of(r.csat, r.nps) is not None),
        key=lambda r: (r.answered_at, r.pk),
    )[-tested:]
    unhappy = sum(label_of(r.csat, r.nps) == UNHAPPY for r in newest)
    assert figures["read"] == tested and figures["unhappy"] == unhappy
    assert figures["warned_right"] >= 0.9 * unhappy
    assert figures["warned"] - figures["warned_right"] <= 0.1 * (tested - unhappy)


@pytest.mark.django_db
def test_customers_who_wrote_nothing_known_are_not_counted():
    answered_comments(200)  # their tickets say only "Tengo una consulta sobre mi pedido."
    record = train_model(kind=ModelKind.SENTIMENT)
    # "Tengo una consulta sobre mi pedido.": no mood word, "pedido" a case word.
    assert record.quality["messages"] == {"read": 0, "unhappy": 0, "warned": 0, "warned_right": 0}


@pytest.mark.django_db
def test_words_about_the_case_are_not_learned_as_mood(ana, team_n1):
    """Where only unhappy comments mention refunds, a calm question about a refund must not
    read as unhappy: a word as common in ticket texts as in comments names the case."""
    responses = answered_comments(400)
    for response in responses:
        if label_of(response.csat, response.nps) == UNHAPPY:
            response.comment = f"{response.comment} Reembolso."
    SurveyResponse.objects.bulk_update(responses, ["comment"])
    Ticket.objects.filter(pk__in=[r.ticket_id for r in responses[::2]]).update(
        description="Quiero saber cuándo llega el reembolso de mi pedido."
    )
    assert "reembols" in case_words([r.comment for r in responses])
    assert not {"esper", "nadi respond", "graci"} & case_words([r.comment for r in responses])
    record = train_model(kind=ModelKind.SENTIMENT)
    assert record.quality["case_words"] > 0
    calm = open_ticket(ana, team_n1, "Hola, ¿cuándo llega mi reembolso? Reembolso del pedido.")
    mood = ticket_mood(calm)
    assert mood is None or mood.label == "calm"
    angry = open_ticket(ana, team_n1, "Mi reembolso.", "Sigo esperando, nadie me responde")
    assert ticket_mood(angry).label == "unhappy"


@pytest.mark.django_db
def test_retraining_unchanged_answers_writes_nothing_and_a_new_comment_trains_again(model_dir):
    answered_comments(200)
    first = train_model(kind=ModelKind.SENTIMENT)
    files = sorted(p.name for p in model_dir.iterdir())
    again = train_model(kind=ModelKind.SENTIMENT)
    assert again.pk == first.pk
    assert TrainedModel.objects.filter(kind=ModelKind.SENTIMENT).count() == 1
    assert sorted(p.name for p in model_dir.iterdir()) == files
    answered_comments(1, seed=99)
    newer = train_model(kind=ModelKind.SENTIMENT)
    assert newer.pk != first.pk
    assert TrainedModel.objects.filter(kind=ModelKind.SENTIMENT).count() == 2


# --- reading a ticket -------------------------------------------------------------------------


def test_only_the_customers_own_public_messages_are_read(trained, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "El pedido no llega.", "Sigo esperando.")
    add_reply(ticket=ticket, by=ana, body="Nota interna: terrible cliente", public=False)
    assert customer_messages(ticket) == ["El pedido no llega.", "Sigo esperando."]


def test_a_customer_still_waiting_sounds_unhappy(trained, ana, team_n1):
    ticket = open_ticket(
        ana, team_n1, "Hola, tengo una duda con el pedido.", "Sigo esperando, nadie me responde"
    )
    mood = ticket_mood(ticket)
    assert mood is not None and mood.model.pk == trained.pk
    assert mood.unhappy_probability >= UNHAPPY_AT and mood.label == "unhappy"
    assert mood.excerpt == "Sigo esperando, nadie me responde"


def test_a_thankful_customer_does_not(trained, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "The parcel, my account.", "Great help, thanks, very quick")
    mood = ticket_mood(ticket)
    assert mood is not None and mood.unhappy_probability < UNHAPPY_AT and mood.label == "calm"


def test_one_known_word_is_not_enough_to_call_a_customer_unhappy(trained, ana, team_n1):
    """The walkthrough's calm customers flagged on a word or two: a reading on few known
    terms is drawn towards undecided."""
    model, payload = store.load(ModelKind.SENTIMENT)
    lone = read_mood(["Esperando."], model, payload)
    said = "Llevo una semana esperando, nadie me responde, qué desastre"
    full = read_mood([said], model, payload)
    assert lone is not None and full is not None
    assert lone.label == "calm" and 0.5 <= lone.unhappy_probability < UNHAPPY_AT
    assert full.label == "unhappy" and full.unhappy_probability > lone.unhappy_probability


def test_the_newest_messages_weigh_most(trained, ana, team_n1):
    ticket = open_ticket(
        ana,
        team_n1,
        "Sigo esperando, nadie me responde",
        "Muy amable, todo resuelto, muchas gracias",
    )
    mood = ticket_mood(ticket)
    assert mood is not None and mood.label == "calm"
    assert mood.excerpt == "Sigo esperando, nadie me responde"  # still the most unhappy one


@pytest.mark.django_db
def test_no_model_no_mood(ana, team_n1):
    assert ticket_mood(open_ticket(ana, team_n1, "Sigo esperando")) is None


# --- the ticket page's panel ------------------------------------------------------------------


def test_the_panel_warns_about_an_unhappy_customer(trained, client, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "Tengo una duda.", "Sigo esperando, nadie me responde")
    client.force_login(ana)
    response = panel(client, ticket)
    assert response.status_code == 200
    html = response.content.decode()
    percent = ticket_mood(ticket).percent
    assert f"This customer sounds unhappy ({percent} % sure)" in html
    assert "“Sigo esperando, nadie me responde”" in html
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_the_panel_is_quiet_about_a_happy_one(trained, client, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "Mi cuenta.", "Muy amable, rápido y claro, un placer")
    client.force_login(ana)
    html = panel(client, ticket).content.decode()
    assert "This customer sounds unhappy" not in html and "sentiment-excerpt" not in html
    assert "Nothing in the customer's messages sounds unhappy." in html


def test_the_panel_speaks_spanish(trained, client, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "Tengo una duda.", "Sigo esperando, nadie me responde")
    client.force_login(ana)
    response = client.get(
        reverse("insights:ticket_sentiment", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="alert alert-warning' in html
    assert "Este cliente parece descontento (" in html
    assert "This customer sounds unhappy" not in html


def test_a_customers_markup_is_shown_as_text(trained, client, ana, team_n1):
    ticket = open_ticket(
        ana, team_n1, "Duda.", 'Sigo esperando, nadie me responde <script>alert("x")</script>'
    )
    client.force_login(ana)
    html = panel(client, ticket).content.decode()
    assert "sounds unhappy" in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_an_empty_desk_says_why_there_is_no_reading(client, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "Sigo esperando")
    client.force_login(ana)
    response = panel(client, ticket)
    assert response.status_code == 200
    assert "Mood reading starts after the first training" in response.content.decode()
    train_model(kind=ModelKind.SENTIMENT)
    html = panel(client, ticket).content.decode()
    assert "sentiment-none" in html and "(0 so far)" in html and " 60 survey answers" in html


def test_a_resolved_ticket_shows_nothing(trained, client, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "Duda.", "Sigo esperando, nadie me responde")
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.RESOLVED, resolved_at=timezone.now())
    client.force_login(ana)
    response = panel(client, ticket)
    assert response.status_code == 200 and response.content.decode().strip() == ""


@pytest.mark.django_db
def test_who_may_see_the_panel(client, ana, carla, team_n1, django_user_model):
    ticket = open_ticket(ana, team_n1, "Duda.")
    url = reverse("insights:ticket_sentiment", args=[ticket.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(carla)  # Soporte N2: not her team's ticket
    assert client.get(url).status_code == 404
    client.force_login(django_user_model.objects.create_user("nadie", password="x"))
    assert client.get(url).status_code == 403
    client.force_login(ana)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_the_ticket_page_loads_the_panel(client, ana, team_n1, db):
    ticket = open_ticket(ana, team_n1, "Duda.")
    client.force_login(ana)
    html = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'hx-get="{reverse("insights:ticket_sentiment", args=[ticket.pk])}"' in html


# --- the API ----------------------------------------------------------------------------------


def test_the_api_reads_an_unhappy_customer(trained, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "Duda.", "Sigo esperando, nadie me responde")
    response = api(token_client(ana), ticket)
    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "unhappy" and body["unhappy_probability"] >= UNHAPPY_AT
    assert body["excerpt"] == "Sigo esperando, nadie me responde" and body["reason"] == ""
    assert body["model"]["id"] == trained.pk and body["model"]["documents"] == trained.documents
    assert body["ticket"] == ticket.pk


def test_the_api_reads_a_happy_one(trained, ana, team_n1):
    ticket = open_ticket(ana, team_n1, "My account.", "Great help, thanks, excellent support")
    body = api(token_client(ana), ticket).json()
    assert body["label"] == "calm" and body["unhappy_probability"] < UNHAPPY_AT


@pytest.mark.django_db
def test_the_api_without_a_model(ana, team_n1):
    ticket = open_ticket(ana, team_n1, "Sigo esperando")
    body = api(token_client(ana), ticket).json()
    assert body == {
        "ticket": ticket.pk,
        "model": None,
        "unhappy_probability": None,
        "label": None,
        "excerpt": "",
        "reason": "Mood reading starts after the first training on the desk's survey comments.",
    }


@pytest.mark.django_db
def test_who_may_call_the_api(ana, carla, team_n1, django_user_model):
    ticket = open_ticket(ana, team_n1, "Duda.")
    assert api(token_client(), ticket).status_code == 401
    nobody = django_user_model.objects.create_user("nadie", password="x")
    assert api(token_client(nobody), ticket).status_code == 403
    assert api(token_client(carla), ticket).status_code == 404
    assert api(token_client(ana), ticket).status_code == 200
