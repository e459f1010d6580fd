"""The reviews API: happy paths, who may do what, and 4xx JSON (never 500) for bad input."""

import pytest
from rest_framework.test import APIClient

from quality.models import Dispute, Review, Scorecard

from .conftest import completed_review, resolve

API = "/api/v1/quality"
CRITERIA = [
    {"name": "Greeting", "weight": 1, "max_score": 5},
    {"name": "Tone", "weight": 2, "max_score": 5},
    {"name": "Accuracy", "weight": 3, "max_score": 10, "is_critical": True},
]


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_a_manager_creates_a_scorecard_and_a_new_version(marta):
    api = client_for(marta)
    created = api.post(f"{API}/scorecards/", {"name": "Chat", "criteria": CRITERIA}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["current_version"] == 1
    assert [c["name"] for c in body["versions"][0]["criteria"]] == ["Greeting", "Tone", "Accuracy"]
    revised = api.post(
        f"{API}/scorecards/{body['id']}/versions/",
        {"name": "Chat", "criteria": CRITERIA[:1], "note": "Shorter"},
        format="json",
    )
    assert revised.status_code == 201, revised.json()
    assert revised.json()["current_version"] == 2
    listed = api.get(f"{API}/scorecards/").json()
    assert listed["results"][0]["name"] == "Chat"


def test_agents_cannot_write_scorecards_and_anonymous_callers_get_401(ana, scorecard):
    refused = client_for(ana).post(
        f"{API}/scorecards/", {"name": "X", "criteria": CRITERIA}, format="json"
    )
    assert refused.status_code == 403 and "detail" in refused.json()
    assert client_for(ana).get(f"{API}/scorecards/{scorecard.pk}/").status_code == 200
    assert client_for().get(f"{API}/scorecards/").status_code == 401
    assert client_for().get(f"{API}/reviews/").json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "criteria": []},
        {"name": "X", "criteria": [{"name": "A", "weight": 0, "max_score": 5}]},
        {"name": "X", "criteria": [{"name": "A", "weight": 1, "max_score": 11}]},
        {"name": "X", "criteria": [{"name": "A", "weight": "1", "max_score": 5}]},
        {"name": "X", "criteria": [{"name": "A", "weight": 1, "max_score": 5}] * 2},
        {"name": "X", "criteria": "A"},
        {"name": "X"},
        {"name": 5, "criteria": CRITERIA},
        {"name": "X", "criteria": CRITERIA, "status": "on"},
        [],
    ],
)
def test_bad_scorecards_are_400_with_reasons(marta, body):
    response = client_for(marta).post(f"{API}/scorecards/", body, format="json")
    assert response.status_code == 400
    assert response.json()
    assert not Scorecard.objects.exists()


def test_a_reviewer_reviews_a_ticket_through_the_api(bruno_reviewer, ana, team_n1, scorecard):
    ticket = resolve(agent=ana, team=team_n1)
    api = client_for(bruno_reviewer)
    created = api.post(
        f"{API}/reviews/", {"ticket": ticket.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert created.status_code == 201, created.json()
    review = created.json()
    ids = [c["id"] for c in review["criteria"]]
    reply = ticket.replies.first().pk
    draft = api.post(
        f"{API}/reviews/{review['id']}/scores/",
        {
            "scores": [{"criterion": ids[0], "score": 5, "comment": "Warm"}],
            "comments": [{"body": "Good first answer", "reply": reply}],
        },
        format="json",
    )
    assert draft.status_code == 200, draft.json()
    assert draft.json()["status"] == "assigned" and draft.json()["score"] is None
    done = api.post(
        f"{API}/reviews/{review['id']}/scores/",
        {
            "scores": [{"criterion": ids[1], "score": 3}, {"criterion": ids[2], "score": 7}],
            "summary": "Fine",
            "complete": True,
        },
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["score"] == 71.67
    assert done.json()["comments"][0]["reply"] == reply


def test_reviewing_is_refused_with_reasons(
    bruno_reviewer, carla, ana, team_n1, team_n2, scorecard, ticket
):
    own = resolve(agent=bruno_reviewer, team=team_n1)
    api = client_for(bruno_reviewer)
    refused = api.post(
        f"{API}/reviews/", {"ticket": own.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert refused.status_code == 403 and "own ticket" in refused.json()["detail"]
    nobody = api.post(
        f"{API}/reviews/", {"ticket": ticket.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert nobody.status_code == 400 and "assignee" in str(nobody.json())
    other = resolve(agent=ana, team=team_n1)
    not_reviewer = client_for(carla).post(
        f"{API}/reviews/", {"ticket": other.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert not_reviewer.status_code == 403
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"scores": [{"criterion": 99999999, "score": 1}]},
        {"scores": [{"criterion": "abc", "score": 1}]},
        {"scores": [{"criterion": 1, "score": 11}]},
        {"scores": [{"criterion": 1, "score": -1}]},
        {"scores": [{"criterion": 1, "score": "5"}]},
        {"scores": "all good"},
        {"scores": [{"score": 1}]},
        {"complete": True},
        {"complete": "yes"},
        {"comments": [{"body": "x", "reply": 2**70}]},
        {"comments": [{"body": "x", "reply": 99999}]},
        {"summary": ["a"]},
        {"unknown": 1},
    ],
)
def test_bad_scores_are_400_never_500(resolved, marta, scorecard, body):
    review = Review.objects.create(
        ticket=resolved,
        agent=resolved.assignee,
        reviewer=marta,
        scorecard_version=scorecard.versions.get(),
    )
    response = client_for(marta).post(f"{API}/reviews/{review.pk}/scores/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()
    review.refresh_from_db()
    assert review.status == "assigned" and not review.scores.exists()


def test_bad_ids_are_json_404s(marta):
    api = client_for(marta)
    for path in (
        f"{API}/reviews/999999/",
        f"{API}/reviews/99999999999999999999999/",
        f"{API}/reviews/abc/",
        f"{API}/scorecards/0/",
        f"{API}/reviews/5/dispute/",
    ):
        response = (
            api.get(path)
            if "dispute" not in path
            else api.post(path, {"reason": "x"}, format="json")
        )
        assert response.status_code == 404, path
        assert response.json()["detail"]


@pytest.fixture
def review(resolved, marta, scorecard):
    return completed_review(ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])


def test_who_sees_which_reviews(
    review, ana, bruno, bruno_reviewer, carla, marta, team_n1, scorecard
):
    assert [r["id"] for r in client_for(ana).get(f"{API}/reviews/").json()["results"]] == [
        review.pk
    ]
    assert client_for(carla).get(f"{API}/reviews/").json()["results"] == []
    assert client_for(carla).get(f"{API}/reviews/{review.pk}/").status_code == 404
    # Bruno, a reviewer, sees only the reviews he writes or was given, not Marta's of Ana.
    assert client_for(bruno_reviewer).get(f"{API}/reviews/").json()["results"] == []
    mine = completed_review(
        ticket=resolve(agent=ana, team=team_n1),
        reviewer=bruno_reviewer,
        scorecard=scorecard,
        scores=[1, 1, 1],
    )
    listed = client_for(bruno_reviewer).get(f"{API}/reviews/").json()["results"]
    assert [r["id"] for r in listed] == [mine.pk]
    assert len(client_for(marta).get(f"{API}/reviews/").json()["results"]) == 2
    assert client_for(marta).get(f"{API}/reviews/?status=bogus").status_code == 400
    assert client_for(marta).get(f"{API}/reviews/?agent=x").status_code == 400


def test_dispute_and_settle_through_the_api(review, ana, bruno, marta):
    tone = review.scorecard_version.criteria.get(name="Tone")
    assert (
        client_for(bruno)
        .post(f"{API}/reviews/{review.pk}/dispute/", {"reason": "x"}, format="json")
        .status_code
        == 404
    )  # Bruno cannot even see it
    disputed = client_for(ana).post(
        f"{API}/reviews/{review.pk}/dispute/", {"reason": "Tone was fine"}, format="json"
    )
    assert disputed.status_code == 201, disputed.json()
    again = client_for(ana).post(
        f"{API}/reviews/{review.pk}/dispute/", {"reason": "Again"}, format="json"
    )
    assert again.status_code == 400 and "already" in again.json()["detail"]
    not_manager = client_for(ana).post(
        f"{API}/reviews/{review.pk}/settle/", {"outcome": "rejected", "note": "no"}, format="json"
    )
    assert not_manager.status_code == 403
    bad = client_for(marta).post(
        f"{API}/reviews/{review.pk}/settle/", {"outcome": "maybe", "note": "no"}, format="json"
    )
    assert bad.status_code == 400
    settled = client_for(marta).post(
        f"{API}/reviews/{review.pk}/settle/",
        {"outcome": "upheld", "note": "Agreed", "scores": [{"criterion": tone.pk, "score": 5}]},
        format="json",
    )
    assert settled.status_code == 200, settled.json()
    body = settled.json()
    assert body["score"] == 85.0
    assert body["dispute"]["original_score"] == 71.67 and body["dispute"]["outcome"] == "upheld"
    assert Dispute.objects.get().settled_by == marta


def test_iqs_endpoints_for_managers(review, marta, ana, team_n1):
    api = client_for(marta)
    body = api.get(f"{API}/iqs/").json()
    assert body["iqs"] == 71.67 and body["reviews"] == 1
    assert api.get(f"{API}/iqs/?team={team_n1.pk}&agent={ana.pk}").json()["reviews"] == 1
    rows = api.get(f"{API}/iqs/agents/").json()
    assert rows[0]["agent"] == ana.pk and rows[0]["iqs"] == 71.67
    for query in (
        "from=2026-13-01",
        "from=2026-02-01&to=2026-01-01",
        "team=abc",
        "team=999",
        "from=2026-01-01T10:00:00",
    ):
        response = api.get(f"{API}/iqs/?{query}")
        assert response.status_code == 400, query
        assert response.json()
    assert client_for(ana).get(f"{API}/iqs/").status_code == 403
    assert client_for().get(f"{API}/iqs/agents/").status_code == 401


# The API's permission matrix for reviews (the same rows as proposed for
# tests/api/test_permissions.py): Ana is the reviewed agent, Carla another team's agent,
# "nobody" a user without a role. `draft` is Marta's review still to do; `done` completed.
# fmt: off
MATRIX = [
    # path, method, body                                     anon nobody ana  carla marta adrian
    ("scorecards/", "GET", None,                               401, 403,  200, 200,  200,  200),
    ("scorecards/", "POST", "card",                            401, 403,  403, 403,  201,  201),
    ("scorecards/{card}/", "GET", None,                        401, 403,  200, 200,  200,  200),
    ("scorecards/{card}/versions/", "POST", "card",            401, 403,  403, 403,  201,  201),
    ("reviews/", "GET", None,                                  401, 403,  200, 200,  200,  200),
    ("reviews/", "POST", "start",                              401, 403,  403, 403,  201,  201),
    ("reviews/{done}/", "GET", None,                           401, 403,  200, 404,  200,  200),
    ("reviews/{draft}/", "GET", None,                          401, 403,  404, 404,  200,  200),
    ("reviews/{draft}/scores/", "POST", "score",               401, 403,  404, 404,  200,  403),
    ("reviews/{done}/dispute/", "POST", "dispute",             401, 403,  201, 404,  403,  403),
    ("reviews/{disputed}/settle/", "POST", "settle",           401, 403,  403, 404,  200,  200),
    ("iqs/", "GET", None,                                      401, 403,  403, 403,  200,  200),
    ("iqs/agents/", "GET", None,                               401, 403,  403, 403,  200,  200),
]
# fmt: on
ROLES = ("anonymous", "nobody", "ana", "carla", "marta", "adrian")


@pytest.mark.parametrize(
    "path, method, body, role, expected",
    [
        pytest.param(path, method, body, role, codes[i], id=f"{method} {path} {role}")
        for path, method, body, *codes in MATRIX
        for i, role in enumerate(ROLES)
    ],
)
def test_the_reviews_api_permission_matrix(
    request, path, method, body, role, expected, ana, carla, marta, adrian, team_n1, scorecard
):
    from tests.factories import UserFactory

    from .conftest import completed_review

    draft_ticket = resolve(agent=ana, team=team_n1)
    from quality.services.reviews import dispute_review, start_review

    draft = start_review(ticket=draft_ticket, by=marta, scorecard=scorecard)
    done = completed_review(
        ticket=resolve(agent=ana, team=team_n1),
        reviewer=marta,
        scorecard=scorecard,
        scores=[5, 5, 10],
    )
    disputed = completed_review(
        ticket=resolve(agent=ana, team=team_n1),
        reviewer=marta,
        scorecard=scorecard,
        scores=[5, 5, 10],
    )
    dispute_review(review=disputed, by=ana, reason="No")
    criterion = draft.scorecard_version.criteria.first()
    bodies = {
        "card": {"name": "Another", "criteria": CRITERIA},
        "start": {"ticket": resolve(agent=ana, team=team_n1).pk, "scorecard": scorecard.pk},
        "score": {"scores": [{"criterion": criterion.pk, "score": 1}]},
        "dispute": {"reason": "I disagree"},
        "settle": {"outcome": "rejected", "note": "It stands"},
    }
    users = {
        "anonymous": None,
        "nobody": UserFactory(username="nadie"),
        "ana": ana,
        "carla": carla,
        "marta": marta,
        "adrian": adrian,
    }
    url = f"{API}/" + path.format(
        card=scorecard.pk, done=done.pk, draft=draft.pk, disputed=disputed.pk
    )
    api = client_for(users[role])
    response = api.get(url) if method == "GET" else api.post(url, bodies[body], format="json")
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["detail"]
