"""factory-boy factories. State beyond creation is reached through the real services."""

from typing import Any

import factory
from django.contrib.auth.models import Group

from cases.models import ROLE_GROUPS, Category, Channel, Customer, Role, Team, Ticket, User


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@pulso.test")
    password = factory.PostGenerationMethodCall("set_password", "pulso-test")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        give_role(obj, extracted)

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        for team in extracted or ():
            team.members.add(obj)


class AgentFactory(UserFactory):
    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        give_role(obj, extracted or Role.AGENT)


class ManagerFactory(UserFactory):
    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        give_role(obj, extracted or Role.MANAGER)


def give_role(user, role) -> None:
    if role:
        group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[role])
        user.groups.add(group)
        user.__dict__.pop("role", None)
    user.save()


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    level = 1


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    company = factory.Faker("company")


def make_ticket(
    *,
    by: User | None = None,
    customer: Customer | None = None,
    team: Team | None = None,
    **kwargs: Any,
) -> Ticket:
    """A ticket registered through the service, as an agent or the customer would."""
    from cases.services import register_ticket

    kwargs.setdefault("subject", "The printer does not print")
    kwargs.setdefault("description", "It blinks orange and nothing comes out.")
    kwargs.setdefault("channel", Channel.PHONE)
    return register_ticket(
        by=by, customer=customer or CustomerFactory.create(), team=team, **kwargs
    )
