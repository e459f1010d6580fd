"""The Django admin manages teams, categories, agents and customers; tickets are read-only
there because they change only through the lifecycle services."""

import html.parser
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from knox.models import AuthToken

from cases.models import (
    ROLE_GROUPS,
    Attachment,
    BusinessCalendar,
    Customer,
    OutboundEmail,
    Role,
    SLAPolicy,
    Team,
    User,
)
from cases.services import add_reply, resolve_ticket, update_customer
from cases.services.customer_merge import merge_customers
from cases.services.customers import add_customer_address
from cases.services.inbound import ingest_email
from cases.services.organisations import create_organisation
from knowledge.models import Category as KnowledgeCategory
from knowledge.models import Section
from knowledge.services import ArticleContent, create_article
from quality.services import coaching, problems, sampling
from quality.services import reviews as quality_reviews
from quality.services.reviews import CommentData, CriterionData, ScoreData
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import CategoryFactory, CustomerFactory, UserFactory, make_ticket

PAGES = [
    "admin:cases_team_changelist",
    "admin:cases_team_add",
    "admin:cases_category_changelist",
    "admin:cases_category_add",
    "admin:cases_user_changelist",
    "admin:cases_user_add",
    "admin:cases_customer_changelist",
    "admin:cases_customer_add",
    "admin:cases_ticket_changelist",
    "admin:cases_ticketevent_changelist",
    "admin:cases_businesscalendar_changelist",
    "admin:cases_businesscalendar_add",
    "admin:cases_slapolicy_changelist",
    "admin:cases_slapolicy_add",
    "admin:cases_inboundemail_changelist",
    "admin:cases_outboundemail_changelist",
    "admin:cases_attachment_changelist",
]


@pytest.mark.parametrize("name", PAGES)
def test_an_admin_can_open_every_management_page(client, adrian, ticket, name):
    client.force_login(adrian)
    assert client.get(reverse(name)).status_code == 200


def test_an_admin_can_create_a_team_with_members(client, adrian, ana):
    client.force_login(adrian)
    response = client.post(
        reverse("admin:cases_team_add"),
        {
            "name": "Soporte VIP",
            "level": 2,
            "is_active": "on",
            "members": [ana.pk],
            "assignment": "off",
        },
    )
    assert response.status_code == 302
    assert ana.teams.filter(name="Soporte VIP", level=2).exists()


def test_a_team_level_outside_one_to_three_is_refused(client, adrian):
    client.force_login(adrian)
    response = client.post(reverse("admin:cases_team_add"), {"name": "X", "level": 4})
    assert response.status_code == 200
    assert "level" in response.context["adminform"].form.errors
    assert not Team.objects.filter(name="X").exists()


def test_tickets_cannot_be_edited_in_the_admin(client, adrian, ana):
    ticket = make_ticket(by=ana)
    client.force_login(adrian)
    page = client.get(reverse("admin:cases_ticket_change", args=[ticket.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        client.post(reverse("admin:cases_ticket_change", args=[ticket.pk]), {}).status_code == 403
    )


def test_a_manager_manages_people_but_not_the_admins_groups(client, marta):
    marta.is_staff = True
    marta.save(update_fields=["is_staff"])
    client.force_login(marta)
    assert client.get(reverse("admin:cases_customer_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_an_agent_cannot_use_the_admin(client, ana):
    client.force_login(ana)
    assert client.get(reverse("admin:index")).status_code == 302


# --- managers in the admin: never more than their role -----------------------------------------
#
# Every model registered in the admin is tried as a manager: changelist, add form, change form,
# a crafted POST of each form with privilege fields added, and every bulk action offered. The
# list comes from admin.site._registry, so a model registered later is tried too — and fails
# `test_every_registered_model_has_a_sample` until the sample world below holds one of it.

# Whatever would give a manager more than their role, under any name a form might use.
PRIVILEGE_FIELDS = {
    "is_superuser",
    "is_staff",
    "groups",
    "user_permissions",
    "permissions",
    "role",
    "password",
    "password1",
    "password2",
    "usable_password",
}


class _FormReader(html.parser.HTMLParser):
    """What a browser would submit from the admin form `form_id`: every named input,
    ticked box, selected option and textarea, as a test client POST dict."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None  # the name of the <select> being read
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(attrs["name"], attrs.get("value") or "on")
                return
            self._add(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = attrs["name"], None, False
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self._add(self._select, value)
                self._select_chosen = True
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._add(self._textarea, "")

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self._add(self._select, self._select_first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data.removeprefix("\n")


def submitted(response, model) -> dict:
    reader = _FormReader(f"{model._meta.model_name}_form")
    reader.feed(response.content.decode())
    return reader.data


def privileges() -> list:
    """Everything that makes one account more powerful than another."""
    users = [
        (
            u.pk,
            u.username,
            u.is_superuser,
            u.is_staff,
            u.is_active,
            u.password,
            sorted(u.groups.values_list("name", flat=True)),
            sorted(u.user_permissions.values_list("codename", flat=True)),
        )
        for u in User.objects.order_by("pk")
    ]
    groups = [
        (g.name, sorted(g.permissions.values_list("codename", flat=True)))
        for g in Group.objects.order_by("name")
    ]
    return [users, groups]


@pytest.fixture
def manager(client, marta):
    """Marta, a manager with admin access (as `load_demo` makes managers)."""
    marta.is_staff = True
    marta.save(update_fields=["is_staff"])
    client.force_login(marta)
    return client


@pytest.fixture
def sample(
    db, ana, bruno, carla, marta, adrian, team_n1, customer, django_capture_on_commit_callbacks
):
    """One object of every model the admin shows, made the way the desk makes them."""
    alba = UserFactory(username="alba", role=Role.ADMIN, is_staff=True)  # admin by group
    ticket = make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana)
    add_reply(ticket=ticket, by=ana, body="We are on it.")
    with django_capture_on_commit_callbacks(execute=True):
        resolved = resolve_ticket(ticket=ticket, by=ana, resolution="Replaced the toner.")
    invitation = SurveyInvitation.objects.filter(ticket=resolved).first()
    if invitation is not None:
        answer_survey(invitation=invitation, nps=2, comment="Nobody called me")
    update_customer(customer=customer, by=marta, phone="555-0101")
    moved = CustomerFactory(name="Moved house", email="old@example.com")
    update_customer(customer=moved, by=marta, email="new@example.com")  # a notice, no ticket
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="America/Bogota")
    SLAPolicy.objects.create(
        name="Normal", priority="normal", first_response_minutes=60, resolution_minutes=480
    )
    CategoryFactory(name="Billing", default_team=team_n1)
    team_n1.calendar = calendar
    team_n1.save(update_fields=["calendar"])
    ingest_email(
        b"From: Pedro <pedro@example.com>\r\nTo: support@pulso.test\r\n"
        b"Subject: Printer\r\nMessage-ID: <p1@example.com>\r\n\r\nIt does not print.\r\n"
    )
    attachment = Attachment(
        ticket=ticket, filename="photo.png", content_type="image/png", size=4, sha256="0" * 64
    )
    attachment.file.save("photo.png", ContentFile(b"\x89PNG"), save=True)
    AuthToken.objects.create(user=ana)
    acme = create_organisation(by=marta, name="Acme", domains=["acme.test"], account_manager=ana)
    update_customer(customer=customer, by=marta, organisation=acme, is_organisation_admin=True)
    add_customer_address(customer=customer, by=marta, email="lucia@acme.test")
    merge_customers(kept=customer, duplicate=CustomerFactory(name="Twin"), by=marta)
    CustomerFactory(name="Another customer")
    shipping = KnowledgeCategory.objects.create(slug="envios", name_es="Envíos")
    tracking = Section.objects.create(category=shipping, slug="seguimiento", name_es="Seguimiento")
    create_article(
        by=ana, content=ArticleContent(section=tracking, slug="seguir", title_es="Seguir tu envío")
    )
    _quality_sample(resolved, ana, marta)
    return {"alba": alba, "ticket": ticket}


def _quality_sample(resolved, ana, marta):
    """A scorecard, its sampling and a disputed review of Ana's ticket; a coaching session and
    goal; a fixed problem with the ticket, its follow-up and a bulk answer."""
    card = quality_reviews.create_scorecard(
        by=marta, name="Conversation", criteria=[CriterionData("Tone", weight=2, max_score=5)]
    )
    rule = sampling.save_sampling_rule(
        by=marta, scorecard_id=card.pk, reviews_per_agent=1, mode="random", team_ids=[]
    )
    sampling.sample_week(rule=rule, week_start=date(2026, 1, 5), by=marta)
    review = quality_reviews.start_review(ticket=resolved, by=marta, scorecard=card)
    criterion = review.scorecard_version.criteria.get()
    message = resolved.replies.first()
    quality_reviews.score_review(
        review=review,
        by=marta,
        scores=[ScoreData(criterion.pk, 4)],
        comments=[CommentData("Friendly.", message.pk if message else None)],
        complete=True,
    )
    quality_reviews.dispute_review(review=review, by=ana, reason="The customer thanked me.")
    coaching.record_session(by=marta, agent=ana, held_on=date(2026, 1, 9), notes="First talk.")
    coaching.set_goal(
        by=marta,
        agent=ana,
        kpi="csat",
        comparison="at_least",
        target=Decimal("85"),
        starts_on=date(2026, 1, 1),
        due_on=date(2026, 3, 31),
    )
    problem = problems.open_problem(by=marta, title="Toner runs out", ticket_ids=[resolved.pk])
    follow_ups = list(resolved.follow_ups.values_list("pk", flat=True))
    problems.link_follow_ups(problem=problem, by=marta, follow_up_ids=follow_ups)
    problems.update_problem(problem=problem, by=marta, status="fixed", fix_note="New toner.")
    problems.start_bulk_answer(problem=problem, by=marta, message_es="Arreglado.", message_en="")


def registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


REGISTERED = [pytest.param(model, id=model._meta.label) for model, _ in registered()]


def test_every_registered_model_has_a_sample(sample):
    missing = [m._meta.label for m, _ in registered() if not m._default_manager.exists()]
    assert not missing, f"add an object of {missing} to the `sample` fixture of this file"


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


EVIL = {
    "is_superuser": "on",
    "is_staff": "on",
    "role": "admin",
    "password": "pbkdf2_sha256$1$x$y",
    "password1": "Evil-pass-12345",
    "password2": "Evil-pass-12345",
    "usable_password": "true",
}


def _evil(data: dict) -> dict:
    admin_group = Group.objects.get_or_create(name=ROLE_GROUPS[Role.ADMIN])[0]
    every_permission = [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]
    return {
        **data,
        **EVIL,
        "groups": [str(admin_group.pk)],
        "user_permissions": every_permission,
        "permissions": every_permission,
    }


@pytest.mark.parametrize("model", REGISTERED)
def test_a_manager_gets_no_privilege_field_in_any_form(manager, sample, model):
    add = manager.get(_url(model, "add"))
    assert add.status_code in (200, 403)
    forms = [add] if add.status_code == 200 else []
    for obj in model._default_manager.all()[:20]:
        change = manager.get(_url(model, "change", obj.pk))
        assert change.status_code in (200, 403), obj
        if change.status_code == 200:
            forms.append(change)
    for response in forms:
        fields = set(response.context["adminform"].form.fields)
        assert not fields & PRIVILEGE_FIELDS, (model, fields & PRIVILEGE_FIELDS)
        assert "password/" not in response.content.decode()


@pytest.mark.parametrize("model", REGISTERED)
def test_a_managers_crafted_posts_change_no_privilege(manager, sample, model):
    before = privileges()
    add = manager.get(_url(model, "add"))
    add_data = _evil(submitted(add, model) if add.status_code == 200 else {"username": "evil"})
    assert manager.post(_url(model, "add"), add_data).status_code in (200, 302, 403)
    for obj in model._default_manager.all()[:20]:
        page = manager.get(_url(model, "change", obj.pk))
        data = submitted(page, model) if page.status_code == 200 else {}
        response = manager.post(_url(model, "change", obj.pk), _evil(data))
        assert response.status_code in (200, 302, 403), (obj, response.status_code)
    assert privileges() == before
    assert not User.objects.filter(username__in=["evil", ""]).exists()


@pytest.mark.parametrize("model", REGISTERED)
def test_no_bulk_action_gives_a_manager_more(manager, sample, model):
    before = privileges()
    changelist = manager.get(_url(model, "changelist"))
    assert changelist.status_code in (200, 403)
    if changelist.status_code == 403:
        return
    action_form = changelist.context["action_form"]
    choices = action_form.fields["action"].choices if action_form else []
    actions = [name for name, _label in choices if name]
    if model is User:
        assert actions == [], "managers get no bulk actions on accounts"
    pks = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
    for action in actions:
        response = manager.post(
            _url(model, "changelist"),
            {"action": action, "_selected_action": pks, "post": "yes", "index": 0},
        )
        assert response.status_code in (200, 302, 403), action
    assert privileges() == before


QUALITY = [
    pytest.param(model, id=model._meta.label)
    for model, _ in registered()
    if model._meta.app_label == "quality"
]


def _rows(model) -> list:
    """Every row of the model as stored, to compare before and after."""
    return list(model._default_manager.order_by("pk").values())


@pytest.mark.parametrize("model", QUALITY)
def test_quality_records_are_read_only_in_the_admin_even_for_an_admin(
    client, adrian, sample, model
):
    """Reviews, scores, disputes, coaching and problems change only through quality's
    services (docs/quality.md): the admin shows them and refuses every write."""
    client.force_login(adrian)
    before = _rows(model)
    assert before, model  # the sample made one to try on
    assert client.get(_url(model, "changelist")).status_code == 200
    assert client.get(_url(model, "add")).status_code == 403
    obj = model._default_manager.order_by("pk").first()
    page = client.get(_url(model, "change", obj.pk))
    assert page.status_code == 200 and b'name="_save"' not in page.content  # a view, no form
    fields = {f.name: "1" for f in model._meta.concrete_fields if not f.primary_key and f.editable}
    assert client.post(_url(model, "change", obj.pk), fields).status_code == 403
    assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert client.post(_url(model, "add"), fields).status_code == 403
    assert _rows(model) == before


def test_a_manager_cannot_make_themselves_superuser(manager, marta):
    url = _url(User, "change", marta.pk)
    page = manager.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content, "a manager's own account is read-only"
    response = manager.post(url, _evil({"first_name": "Marta"}))
    assert response.status_code == 403
    marta = User.objects.get(pk=marta.pk)
    assert not marta.is_superuser and marta.role == Role.MANAGER
    assert list(marta.groups.values_list("name", flat=True)) == ["Manager"]


def test_a_manager_changes_an_agents_everyday_settings_and_nothing_else(manager, ana):
    admin_group = Group.objects.get_or_create(name=ROLE_GROUPS[Role.ADMIN])[0]
    url = _url(User, "change", ana.pk)
    data = submitted(manager.get(url), User)
    assert set(data) >= {"first_name", "last_name", "language", "is_available", "is_active"}
    data.update(first_name="Anita", is_available=[])
    response = manager.post(url, {**data, **EVIL, "groups": [admin_group.pk],
                                  "email": "evil@example.com", "username": "evil"})  # fmt: skip

    assert response.status_code == 302
    ana = User.objects.get(pk=ana.pk)
    assert (ana.first_name, ana.is_available) == ("Anita", False)
    assert (ana.username, ana.email) == ("ana", "ana@pulso.test")
    assert not ana.is_superuser and not ana.is_staff
    assert list(ana.groups.values_list("name", flat=True)) == ["Agent"]
    assert ana.check_password("pulso-test")


@pytest.mark.parametrize("who", ["adrian", "alba", "marta", "carla"])
def test_a_manager_cannot_change_an_admin_or_another_manager(manager, sample, who, adrian, carla):
    other = User.objects.get(username=who) if who != "marta" else None
    if other is None:
        other = UserFactory(username="mario", role=Role.MANAGER, is_staff=True)
    if who == "carla":  # an agent made staff by an admin is no longer the managers' to change
        other.is_staff = True
        other.save(update_fields=["is_staff"])
    url = _url(User, "change", other.pk)
    assert b'name="_save"' not in manager.get(url).content
    assert manager.post(url, {"first_name": "X", "is_active": ""}).status_code == 403
    other.refresh_from_db()
    assert other.first_name != "X" and other.is_active


@pytest.mark.parametrize("who", ["ana", "marta", "adrian", "alba"])
def test_a_manager_cannot_open_anyones_password_form(manager, sample, who):
    user = User.objects.get(username=who)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    assert manager.get(url).status_code == 403
    response = manager.post(
        url, {"password1": "Evil-pass-12345", "password2": "Evil-pass-12345",
              "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 403
    assert User.objects.get(pk=user.pk).check_password("pulso-test")


def test_a_manager_cannot_add_an_account(manager):
    assert manager.get(_url(User, "add")).status_code == 403
    response = manager.post(
        _url(User, "add"),
        {"username": "newbie", "password1": "Str0ng-pass-1", "password2": "Str0ng-pass-1",
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 403
    assert not User.objects.filter(username="newbie").exists()


def test_an_admin_still_gives_roles_and_sets_passwords(client, adrian, ana):
    client.force_login(adrian)
    manager_group = Group.objects.get_or_create(name=ROLE_GROUPS[Role.MANAGER])[0]
    url = _url(User, "change", ana.pk)
    data = submitted(client.get(url), User)
    data.update(groups=[str(manager_group.pk)], is_staff="on")
    assert client.post(url, data).status_code == 302
    assert User.objects.get(pk=ana.pk).role == Role.MANAGER

    password_url = reverse("admin:auth_user_password_change", args=[ana.pk])
    assert client.get(password_url).status_code == 200
    response = client.post(
        password_url,
        {"password1": "N3w-pass-for-ana", "password2": "N3w-pass-for-ana",
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 302
    assert User.objects.get(pk=ana.pk).check_password("N3w-pass-for-ana")


def test_an_admin_by_group_may_manage_accounts_too(client, sample, ana):
    client.force_login(sample["alba"])
    assert client.get(_url(User, "add")).status_code == 200
    url = reverse("admin:auth_user_password_change", args=[ana.pk])
    assert client.get(url).status_code == 200


def test_a_manager_reads_the_outbox_without_changing_it(manager, sample):
    """README: managers look under Admin → Outgoing e-mails when an e-mail did not arrive."""
    email = OutboundEmail.objects.first()
    assert manager.get(reverse("admin:index")).content.decode().count("Outgoing e-mails") == 1
    assert manager.get(_url(OutboundEmail, "changelist")).status_code == 200
    page = manager.get(_url(OutboundEmail, "change", email.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert manager.post(_url(OutboundEmail, "change", email.pk), {}).status_code == 403
    assert manager.post(_url(OutboundEmail, "delete", email.pk), {"post": "yes"}).status_code == 403
    assert OutboundEmail.objects.filter(pk=email.pk).exists()


def test_a_customer_changed_in_the_admin_is_recorded_and_the_old_address_told(
    manager, marta, customer, django_capture_on_commit_callbacks
):
    url = _url(Customer, "change", customer.pk)
    data = submitted(manager.get(url), Customer)
    data["email"] = "lucia.torres@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        assert manager.post(url, data).status_code == 302
    change = customer.audit.get()
    assert change.by == marta
    assert change.changes == {"email": ["lucia@example.com", "lucia.torres@example.org"]}
    assert [m.to for m in mail.outbox] == [["lucia@example.com"]]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "OTRA@example.com", "already exists"),
        ("churned_at", "2020-01-01", "churn before"),
    ],
)
def test_a_refused_customer_change_in_the_admin_shows_why_and_changes_nothing(
    manager, customer, field, value, message
):
    CustomerFactory(email="otra@example.com")
    customer.active_since = date(2024, 1, 1)
    customer.save(update_fields=["active_since"])
    url = _url(Customer, "change", customer.pk)
    data = submitted(manager.get(url), Customer)
    data[field] = value
    page = manager.post(url, data)
    assert page.status_code == 200
    assert message in page.content.decode()
    customer.refresh_from_db()
    assert customer.email == "lucia@example.com"
    assert customer.churned_at is None
    assert not customer.audit.exists()


def test_the_accounts_list_reads_every_role_in_one_query(
    admin_client, django_assert_max_num_queries, db
):
    for number in range(30):
        UserFactory(username=f"extra{number}")
    with django_assert_max_num_queries(12):
        assert admin_client.get(_url(User, "changelist")).status_code == 200
