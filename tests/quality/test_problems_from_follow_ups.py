"""The follow-ups inbox and a follow-up's page open a problem in the quality app: the ticked
follow-ups (or the one on the page) arrive on the new problem's form, and saving links them."""

from urllib.parse import urlencode

from django.urls import reverse

from quality.models import Problem
from tests.surveys.test_follow_ups import loop  # noqa: F401  # the inbox's four follow-ups

NEW_PROBLEM = reverse("quality:problem_create")


def test_ticked_follow_ups_open_one_problem_that_links_them(client, marta, loop):  # noqa: F811
    client.force_login(marta)
    inbox = client.get(reverse("surveys:follow_up_list")).content.decode()
    assert f'action="{NEW_PROBLEM}"' in inbox
    ticked = [loop["old_n1"].pk, loop["new_n1"].pk]
    for pk in ticked:
        assert f'name="follow_up" value="{pk}"' in inbox

    form = client.get(f"{NEW_PROBLEM}?{urlencode([('follow_up', pk) for pk in ticked])}")
    assert form.status_code == 200
    assert sorted(f.pk for f in form.context["follow_ups"]) == sorted(ticked)

    saved = client.post(
        NEW_PROBLEM,
        {
            "title": "Payments time out",
            "status": "investigating",
            "follow_ups": form.context["follow_up_ids"],
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    problem = Problem.objects.get(title="Payments time out")
    linked = sorted(problem.follow_up_links.values_list("follow_up_id", flat=True))
    assert linked == sorted(ticked)


def test_a_follow_ups_page_offers_to_open_a_problem(client, marta, loop):  # noqa: F811
    client.force_login(marta)
    follow_up = loop["mid_n2"]
    page = client.get(reverse("surveys:follow_up_detail", args=[follow_up.pk])).content.decode()
    assert f"{NEW_PROBLEM}?follow_ups={follow_up.pk}" in page
