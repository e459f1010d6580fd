"""Customers, teams, tickets, replies and the audit trail.

Models hold fields, constraints and small derived properties. Every state change goes through
`cases.services`; nothing else assigns `Ticket.status` or the denormalised counters.
"""

import uuid
from functools import cached_property
from typing import ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    SPANISH = "es", _("Spanish")
    ENGLISH = "en", _("English")


class Role(models.TextChoices):
    """Roles are Django groups of the same name; `User.role` reads them."""

    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


ROLE_GROUPS = {Role.AGENT: "Agent", Role.MANAGER: "Manager", Role.ADMIN: "Admin"}


class User(AbstractUser):
    """A person who works in Pulso: agent, manager or admin. Customers are not users."""

    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.SPANISH
    )
    weekly_digest = models.BooleanField(
        _("weekly KPI digest"),
        default=True,
        help_text=_("Managers get the week's KPIs by e-mail every Monday."),
    )
    # The Monday of the last week whose digest went out: claimed before sending, so two
    # workers never send the same week twice.
    weekly_digest_sent_for = models.DateField(
        _("weekly digest sent for"), null=True, blank=True, editable=False
    )
    is_available = models.BooleanField(
        _("available"),
        default=True,
        help_text=_("Receives automatically assigned cases."),
    )
    notify_assigned = models.BooleanField(
        _("e-mail me when a ticket is assigned to me"), default=True
    )
    notify_escalated = models.BooleanField(
        _("e-mail me when a ticket is escalated to my team"), default=True
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def role(self) -> str | None:
        """The highest role the user holds (admin > manager > agent), from their groups."""
        if self.is_superuser:
            return Role.ADMIN
        names = {group.name for group in self.groups.all()}
        for role in (Role.ADMIN, Role.MANAGER, Role.AGENT):
            if ROLE_GROUPS[role] in names:
                return role
        return None

    @property
    def sees_all_tickets(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    @cached_property
    def team_ids(self) -> list[int]:
        """The ids of the user's teams, read once per user object like `role` (a request's
        user lives for the request). Who-sees-what conditions inline them as a list: under
        an OR, a list becomes an index scan where a subquery would be a row-by-row filter."""
        return sorted(self.teams.values_list("pk", flat=True))


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(_("Unknown time zone: %(zone)s."), params={"zone": value}) from error


class BusinessCalendar(models.Model):
    """When a team works: SLA clocks count only these hours (cases/business_time.py)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="America/Bogota",
        validators=[validate_time_zone],
        help_text=_("Working hours are wall-clock times in this zone, e.g. America/Bogota."),
    )
    always_open = models.BooleanField(
        _("24×7"), default=False, help_text=_("Every hour counts; working hours are ignored.")
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="hours", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="working_hours_close_after"
            )
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name=_("calendar"),
    )
    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="holiday_once_per_day")
        ]

    def __str__(self):
        return f"{self.day} {self.name}".strip()


class AssignmentMode(models.TextChoices):
    OFF = "off", _("Off")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Fewest open tickets")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    level = models.PositiveSmallIntegerField(
        _("support level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("1, 2 or 3: the level of support it gives."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("business calendar"),
        help_text=_("The hours its SLA clocks count. None: around the clock."),
    )
    assignment = models.CharField(
        _("automatic assignment"),
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.OFF,
        help_text=_("New and escalated cases go to an available member."),
    )
    # Round robin: the member who got the last case (the next one gets the following case).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("last assigned member"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=3), name="team_level_1_to_3"
            )
        ]

    def __str__(self):
        return self.name


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    default_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default team"),
        help_text=_("New cases of this category go to this team."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Organisation(models.Model):
    """A company or institution whose people are customers: its contacts, the e-mail domains
    that make a new customer one of them, and who looks after the account."""

    name = models.CharField(_("name"), max_length=150)
    notes = models.TextField(_("notes"), blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_organisations",
        verbose_name=_("account manager"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"], name="organisation_name")]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="organisation_name_unique_ci",
                violation_error_message=_("An organisation with this name already exists."),
            )
        ]

    def __str__(self):
        return self.name


class OrganisationDomain(models.Model):
    """An e-mail domain of an organisation (`empresa.com.co`), stored in lower case: a new
    customer writing from it joins the organisation. One organisation per domain."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="domains",
        verbose_name=_("organisation"),
    )
    domain = models.CharField(_("e-mail domain"), max_length=253, unique=True)

    class Meta:
        verbose_name = _("organisation domain")
        verbose_name_plural = _("organisation domains")
        ordering = ["domain"]

    def __str__(self):
        return self.domain


class OrganisationChange(models.Model):
    """Who changed an organisation, when, and from what to what. Append-only."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="audit", verbose_name=_("organisation")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the system changed it."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # {field: [old, new]}, each value as text.
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("organisation change")
        verbose_name_plural = _("organisation changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "at"], name="organisation_change_time")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {', '.join(self.changes)}"


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company = models.CharField(_("company"), max_length=150, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.SPANISH
    )
    active_since = models.DateField(_("customer since"), default=timezone.localdate)
    churned_at = models.DateField(_("churned on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("organisation"),
    )
    is_organisation_admin = models.BooleanField(
        _("sees the organisation's cases"),
        default=False,
        help_text=_("In the customer portal, every case of the organisation, not only theirs."),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        # The customer list's order (a page is an index range); the search's trigram indexes
        # are PostgreSQL's own and live in cases migration 0011 only.
        indexes = [models.Index(fields=["name", "id"], name="customer_name")]
        constraints = [
            # E-mail is unique whatever its case; customers reached only by phone have none.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="customer_email_unique_ci",
                violation_error_message=_("A customer with this e-mail already exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(churned_at__isnull=True)
                | models.Q(churned_at__gte=models.F("active_since")),
                name="customer_churn_after_start",
                violation_error_message=_("A customer cannot churn before becoming one."),
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.email else self.name


class CustomerAddress(models.Model):
    """Another e-mail address of a customer (their primary one is `Customer.email`): mail
    from it finds them. An address belongs to one customer, whatever its case."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("customer")
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("other e-mail address")
        verbose_name_plural = _("other e-mail addresses")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="customer_address_unique_ci",
                violation_error_message=_("Another customer already has this e-mail address."),
            )
        ]

    def __str__(self):
        return self.email


class CustomerMerge(models.Model):
    """A duplicate customer record folded into another: who it was, what moved, who did it.
    The duplicate itself is gone; this is its trace."""

    kept = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="merges", verbose_name=_("kept record")
    )
    merged_id = models.PositiveBigIntegerField(_("merged record's id"))
    merged_name = models.CharField(_("merged record's name"), max_length=150)
    merged_email = models.CharField(_("merged record's e-mail"), max_length=254, blank=True)
    # {"tickets": 3, "survey_answers": 1, "follow_ups": 0, "addresses": 2, …}
    moved = models.JSONField(_("what moved"), default=dict)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.merged_name} → {self.kept_id}"


class PortalSignIn(models.Model):
    """A sign-in link to the customer portal, e-mailed on request: only its hash is kept;
    it works once, until it expires."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="portal_sign_ins",
        verbose_name=_("customer"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal sign-in link")
        verbose_name_plural = _("portal sign-in links")
        indexes = [models.Index(fields=["customer", "created_at"], name="portal_sign_in_time")]

    def __str__(self):
        return f"{self.customer_id} {self.created_at:%Y-%m-%d %H:%M}"


class CustomerChange(models.Model):
    """Who changed a customer's details, when, and from what to what. Append-only: the
    customer page lists it, so a changed e-mail address can always be traced."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="audit", verbose_name=_("customer")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the system changed it."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # {field: [old, new]}, each value as text.
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("customer change")
        verbose_name_plural = _("customer changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at"], name="customer_change_time")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {', '.join(self._labels())}"

    def _labels(self) -> list[str]:
        """The changed fields as the customer form names them (in the reader's language)."""
        fields = {field.name: field for field in Customer._meta.get_fields()}
        return [
            str(field.verbose_name) if isinstance(field := fields.get(name), models.Field) else name
            for name in self.changes
        ]


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    WEB = "web", _("Web form")
    SOCIAL = "social", _("Social media")
    IN_PERSON = "in_person", _("In person")
    FIELD_VISIT = "field_visit", _("Field visit")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    # Terminal: folded into another ticket (`Ticket.merged_into`), which carries on its story.
    MERGED = "merged", _("Merged")


class SLAPolicy(models.Model):
    """Targets for one priority, optionally narrowed to categories, teams or channels. The
    most specific active policy that matches a ticket applies (cases/sla.py)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response target (minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (minutes)"), validators=[MinValueValidator(1)]
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="+", verbose_name=_("only these categories")
    )
    teams = models.ManyToManyField(
        Team, blank=True, related_name="+", verbose_name=_("only these teams")
    )
    channels = models.JSONField(
        _("only these channels"), default=list, blank=True, help_text=_("Empty: every channel.")
    )
    escalate_to = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalate breaches to"),
        help_text=_("Empty: the support level goes up and the team stays."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["priority", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        unknown = [c for c in self.channels or [] if c not in Channel.values]
        if not isinstance(self.channels, list) or unknown:
            raise ValidationError({"channels": _("Use a list of channel codes.")})


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
# The queue's status sort: the lifecycle's order, a merged ticket last (rank_of's default),
# which keeps the expression of the index `ticket_status_rank` what it was before merging.
STATUS_ORDER: list[str] = [Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED]
MAX_LEVEL = 3


def rank_of(field: str, values: list[str]) -> models.Case:
    """`field`'s position in `values` (severity, lifecycle order), as an integer: what the
    queue sorts priority and status by, and what the ticket's indexes on those sorts hold."""
    return models.Case(
        *(
            models.When(**{field: value}, then=models.Value(rank))
            for rank, value in enumerate(values)
        ),
        default=models.Value(len(values)),
        output_field=models.IntegerField(),
    )


class Tag(models.Model):
    """A free label on tickets ("factura-duplicada", "vip"), normalised by cases/tags.py so
    that one spelling is one tag. Created by the first ticket that carries it."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, editable=False
    )
    level = models.PositiveSmallIntegerField(_("support level"), default=1, editable=False)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Denormalised facts for the KPIs; only services set them.
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalation_count = models.PositiveIntegerField(_("escalations"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopens"), default=0)
    public_agent_replies = models.PositiveIntegerField(_("public agent replies"), default=0)
    resolution = models.TextField(_("resolution"), blank=True)
    # SLA clocks (cases/sla.py); only services set them.
    sla_policy = models.ForeignKey(
        SLAPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        editable=False,
        verbose_name=_("SLA policy"),
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # When 80 % of each target has run: the breach check warns the assignee then.
    first_response_warn_at = models.DateTimeField(
        _("first response warning due"), null=True, blank=True, editable=False
    )
    resolution_warn_at = models.DateTimeField(
        _("resolution warning due"), null=True, blank=True, editable=False
    )
    # The resolution clock stops while pending or resolved; the working seconds it stood
    # still push the resolution due time back.
    sla_paused_at = models.DateTimeField(
        _("SLA clock paused since"), null=True, blank=True, editable=False
    )
    sla_paused_seconds = models.FloatField(
        _("SLA clock paused (seconds)"), default=0, db_default=0, editable=False
    )
    first_response_warned_at = models.DateTimeField(
        _("first response warning sent"), null=True, blank=True, editable=False
    )
    resolution_warned_at = models.DateTimeField(
        _("resolution warning sent"), null=True, blank=True, editable=False
    )
    first_response_breached_at = models.DateTimeField(
        _("first response deadline missed"), null=True, blank=True, editable=False
    )
    resolution_breached_at = models.DateTimeField(
        _("resolution deadline missed"), null=True, blank=True, editable=False
    )
    # Incremented by every change: lets a client say "I acted on what I saw" (409 otherwise).
    version = models.PositiveIntegerField(_("version"), default=1)
    # Only services change them (services.change_tags), each change a TicketEvent.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_tickets",
        verbose_name=_("merged into"),
        editable=False,
    )
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True, editable=False)
    tags = models.ManyToManyField(
        Tag, through="TicketTag", related_name="tickets", blank=True, verbose_name=_("tags")
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=MAX_LEVEL), name="ticket_level_1_to_3"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in Status]),
                name="ticket_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=False)
                | ~models.Q(status__in=[Status.RESOLVED, Status.CLOSED]),
                name="ticket_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=(models.Q(status=Status.MERGED) & models.Q(merged_into__isnull=False))
                | (~models.Q(status=Status.MERGED) & models.Q(merged_into__isnull=True)),
                name="ticket_merged_has_target",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "team"], name="ticket_status_team"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["resolved_at"], name="ticket_resolved_at"),
            # The lists (queues, API): a status and the order a page is read in, with the id
            # that breaks ties, so a page is an index range whatever the desk's size
            # (tests/bench/bench_lists.py). The trigram indexes of the search are
            # PostgreSQL's own and live in migration 0011 only.
            # The default order carries the columns the lists filter on, so that a page
            # whose filters match a few in a thousand (closed + e-mail + urgent + unassigned)
            # finds its 25 in the index alone (PostgreSQL's index-only scan) instead of
            # reading thousands of tickets from the table: 75 → 6 ms at a million.
            models.Index(
                fields=["status", "created_at", "id"],
                name="ticket_status_created",
                include=["team", "assignee", "priority", "channel", "category", "level"],
            ),
            # The same without a status (the API's default, any filter): a rare combination
            # (field visits of low priority, one agent's teams) is read from the index alone
            # while the scan walks back from the newest ticket — 27 → 5 ms at a million.
            models.Index(
                fields=["created_at", "id"],
                name="ticket_created",
                include=["team", "assignee", "priority", "channel", "category", "level", "status"],
            ),
            models.Index(fields=["status", "updated_at", "id"], name="ticket_status_updated"),
            models.Index(fields=["status", "resolved_at", "id"], name="ticket_status_resolved"),
            models.Index(fields=["status", "level", "id"], name="ticket_status_level"),
            models.Index(fields=["status", "id"], name="ticket_status_id"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            models.Index(fields=["level", "id"], name="ticket_level"),
            # Every column a list filters on has an index (team, assignee, category, customer
            # by their foreign keys), so that the database can combine any filters
            # (BitmapAnd) instead of reading every ticket of the most selective one.
            # An agent's lists and API read "my teams' tickets OR mine" (selectors): with a
            # filter on team or level, each half of that OR is one range of one of these,
            # where the team's or the assignee's index alone would read all their tickets
            # (cases migration 0012 also tells the planner how the three columns go together).
            models.Index(fields=["team", "level"], name="ticket_team_level"),
            models.Index(fields=["assignee", "team", "level"], name="ticket_assignee_team_level"),
            # A channel or a priority with the other filters and the visibility columns: the
            # capped count of a rare combination for an agent (field visits of low priority in
            # one agent's teams) stops after its 1 001 from the index alone — 20 → 3 ms at a
            # million, where the table was read for every field visit of low priority.
            models.Index(
                fields=["channel"],
                name="ticket_channel",
                include=["priority", "team", "assignee", "status", "level", "category", "id"],
            ),
            models.Index(
                fields=["priority"],
                name="ticket_priority",
                include=["channel", "team", "assignee", "status", "level", "category", "id"],
            ),
            models.Index(rank_of("priority", Priority.values), "id", name="ticket_priority_rank"),
            models.Index(rank_of("status", STATUS_ORDER), "id", name="ticket_status_rank"),
            # the breach check: active tickets by their next deadline
            models.Index(
                fields=["first_response_warn_at"],
                name="ticket_first_response_warn",
                condition=models.Q(first_response_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_warn_at"],
                name="ticket_resolution_warn",
                condition=models.Q(status__in=["new", "open"]),
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return format_reference(self.pk)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def format_reference(pk: int | None) -> str:
    return f"{settings.TICKET_REFERENCE_PREFIX}-{pk or 0:06d}"


def parse_reference(text: str) -> int | None:
    """`PUL-000123`, `pul-123` or `123` → 123; anything else → None."""
    value = text.strip().upper()
    prefix = settings.TICKET_REFERENCE_PREFIX.upper() + "-"
    if value.startswith(prefix):
        value = value[len(prefix) :]
    return int(value) if value.isdigit() and len(value) <= 12 else None


class TicketFollower(models.Model):
    """Someone kept in copy of a ticket's public replies: an address from the e-mail's `Cc`,
    or one an agent added. Their e-mail replies thread into the ticket as theirs."""

    ticket = models.ForeignKey(
        "Ticket", on_delete=models.CASCADE, related_name="followers", verbose_name=_("ticket")
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    name = models.CharField(_("name"), max_length=150, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followed_tickets",
        verbose_name=_("customer"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
        help_text=_("Empty when it came in the e-mail's Cc."),
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint("ticket", Lower("email"), name="ticket_follower_once_ci")
        ]

    def __str__(self):
        return self.email


class TicketTag(models.Model):
    """A tag on a ticket, with who put it there and when (the timeline says it too)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="ticket_tags", verbose_name=_("ticket")
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="ticket_tags", verbose_name=_("tag")
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("ticket tag")
        verbose_name_plural = _("ticket tags")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "tag"], name="ticket_tag_once"),
        ]
        # The queue's and the KPIs' "tickets with this tag": one index range per tag.
        indexes = [models.Index(fields=["tag", "ticket"], name="ticket_tag_by_tag")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.tag_id}"


class Reply(models.Model):
    """A message on a ticket: a public reply (agent or customer) or an internal note."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="replies", verbose_name=_("ticket")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
        help_text=_("Empty when the customer wrote it."),
    )
    body = models.TextField(_("message"))
    public = models.BooleanField(_("public"), default=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    # A message from someone in copy (a follower) rather than the customer: who wrote it.
    from_email = models.EmailField(
        _("from"), max_length=254, blank=True, help_text=_("Empty: the customer or an agent.")
    )
    from_name = models.CharField(_("sender's name"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="reply_ticket_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(public=True) | models.Q(author__isnull=False),
                name="reply_note_has_agent",
            )
        ]

    def __str__(self):
        return f"{self.ticket.reference} #{self.pk}"

    @property
    def by_customer(self) -> bool:
        return self.author_id is None and not self.from_email

    @property
    def by_follower(self) -> bool:
        return bool(self.from_email)


class TicketSearchDocument(models.Model):
    """The words of one ticket as the search reads them on PostgreSQL: its reference and
    subject (weight A), its customer's name and e-mail and its description (B), and every
    reply and note (C), accents and case folded (cases/search.py, docs/search.md).

    Derived data, like an index: the database writes it, in the transaction of the change,
    with the triggers of cases migration 0020 — whoever writes (the services, the history
    import's COPY, a bulk UPDATE of a merge, the admin). A table of its own rather than a
    column of the ticket, so that the ticket rows the lists read stay small and a change of
    status never rewrites the words. On SQLite the table stays empty: the search reads the
    tickets' own text there."""

    ticket = models.OneToOneField(
        Ticket,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
        verbose_name=_("ticket"),
    )
    vector = SearchVectorField(null=True)

    class Meta:
        verbose_name = _("ticket search document")
        verbose_name_plural = _("ticket search documents")

    def __str__(self) -> str:
        return format_reference(self.ticket_id)


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    CLASSIFIED = "classified", _("Classified")
    ASSIGNED = "assigned", _("Assigned")
    REPLIED = "replied", _("Public reply")
    NOTE = "note", _("Internal note")
    CUSTOMER_REPLIED = "customer_replied", _("Customer reply")
    ESCALATED = "escalated", _("Escalated")
    PENDING = "pending", _("Set pending")
    RESUMED = "resumed", _("Back to open")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    TAGGED = "tagged", _("Tags changed")
    MACRO_APPLIED = "macro_applied", _("Macro applied")
    RELATED = "related", _("Related ticket added")
    UNRELATED = "unrelated", _("Related ticket removed")
    FOLLOWER_ADDED = "follower_added", _("Follower added")
    FOLLOWER_REMOVED = "follower_removed", _("Follower removed")
    FOLLOWER_REPLIED = "follower_replied", _("Reply from someone in copy")
    MERGED = "merged", _("Merged into another ticket")
    MERGED_IN = "merged_in", _("Ticket merged in")
    # Recorded by the surveys app through `record_ticket_event`.
    SURVEY_SKIPPED = "survey_skipped", _("Survey not sent")
    SURVEY_WITHDRAWN = "survey_withdrawn", _("Survey withdrawn")
    SURVEY_ANSWERED = "survey_answered", _("Survey answered")
    FOLLOW_UP_OPENED = "follow_up_opened", _("Follow-up opened")
    FOLLOW_UP_UPDATED = "follow_up_updated", _("Follow-up updated")
    SLA_APPLIED = "sla_applied", _("SLA deadlines set")
    SLA_WARNING = "sla_warning", _("SLA deadline near")
    SLA_BREACHED = "sla_breached", _("SLA deadline missed")
    LINKS_REVOKED = "links_revoked", _("Customer links withdrawn")
    LINK_RESENT = "link_resent", _("New customer link sent")


class TicketEvent(models.Model):
    """One row per change: the timeline and the raw input of the metrics. Append-only."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the customer or the system acted."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    data = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ticket", "at"], name="event_ticket_time"),
            models.Index(fields=["kind", "at"], name="event_kind_time"),
        ]

    def __str__(self):
        reference = format_reference(self.ticket_id)
        return f"{reference} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class TicketAccessToken(models.Model):
    """A customer's private link to one ticket. Only the SHA-256 of the token is stored.
    It opens the case until an agent withdraws it or `CUSTOMER_LINK_DAYS_AFTER_CLOSE` days
    after the case closed (or after the link was issued, for one sent later)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="access_tokens", verbose_name=_("ticket")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer link")
        verbose_name_plural = _("customer links")

    def __str__(self):
        return _("%(reference)s link of %(date)s") % {
            "reference": format_reference(self.ticket_id),
            "date": f"{self.created_at:%Y-%m-%d}",
        }


class NotificationKind(models.TextChoices):
    # To the customer
    TICKET_RECEIVED = "ticket_received", _("Case received")
    AGENT_REPLY = "agent_reply", _("Reply to the customer")
    TICKET_RESOLVED = "ticket_resolved", _("Case resolved")
    CUSTOMER_LINK = "customer_link", _("New link to the case")
    PORTAL_SIGN_IN = "portal_sign_in", _("Sign-in link to the customer portal")
    TICKET_MERGED = "ticket_merged", _("Case merged into another")
    # To the address a customer had before an agent changed it (no ticket, no link)
    EMAIL_CHANGED = "email_changed", _("Customer e-mail changed")
    # To an agent
    TICKET_ASSIGNED = "ticket_assigned", _("Ticket assigned")
    TICKET_ESCALATED = "ticket_escalated", _("Ticket escalated to the team")


CUSTOMER_KINDS = (
    NotificationKind.TICKET_RECEIVED,
    NotificationKind.AGENT_REPLY,
    NotificationKind.TICKET_RESOLVED,
    NotificationKind.CUSTOMER_LINK,
    NotificationKind.TICKET_MERGED,
)


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(models.Model):
    """Outbox row for an e-mail about a ticket — to its customer (`recipient` empty) or to
    an agent: written in the transaction that causes it, sent by a Celery task that claims
    it, swept up again if the broker lost the task. Its Message-ID is fixed when the row is
    written, so a customer's answer threads back onto the ticket and a resend is the same
    message."""

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("ticket"),
    )
    # A notice about the customer rather than a ticket (no ticket, no private link).
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("customer"),
    )
    to_address = models.EmailField(
        _("to address"),
        max_length=254,
        blank=True,
        help_text=_("Set: sent here, not to the customer's address."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
        help_text=_("Empty: the ticket's customer."),
    )
    reply = models.ForeignKey(
        Reply,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("reply"),
    )
    message_id = models.CharField(
        _("Message-ID"), max_length=255, unique=True, null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    lease_until = models.DateTimeField(_("lease held until"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("queued since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["status", "send_after"], name="notification_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ticket__isnull=False) | models.Q(customer__isnull=False),
                name="notification_about_ticket_or_customer",
            )
        ]

    def __str__(self):
        """The admin's title of the row: what kind of e-mail, about what, and how it went."""
        about = format_reference(self.ticket_id) if self.ticket_id else str(self.customer)
        return f"{self.get_kind_display()} {about} ({self.get_status_display()})"

    @property
    def to_customer(self) -> bool:
        return self.recipient_id is None

    @property
    def carries_link(self) -> bool:
        """A case e-mail to its customer: it is sent with a fresh private link."""
        return self.ticket_id is not None and self.recipient_id is None


class AttemptOutcome(models.TextChoices):
    SENDING = "sending", _("Sending (no end recorded yet)")
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Failed, tried again later")
    FAILED = "failed", _("Failed for good")
    ABANDONED = "abandoned", _("Abandoned (the sender died)")


# Outcomes after which the recipient may have the e-mail: sent, or a sender that died
# between opening the attempt and recording its end (maybe after the SMTP server's 250).
# Two of them for one e-mail make a possible duplicate.
MAY_HAVE_DELIVERED = (AttemptOutcome.SENT, AttemptOutcome.ABANDONED)


class SendAttempt(models.Model):
    """One try at sending an outbox e-mail, written and committed before the SMTP talk
    starts and closed after it: an attempt still open when its lease has run out belonged
    to a sender that died, so every duplicate can be traced to one."""

    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=AttemptOutcome.choices, default=AttemptOutcome.SENDING
    )
    error = models.TextField(_("error"), blank=True)
    hostname = models.CharField(_("sender host"), max_length=255)
    pid = models.PositiveIntegerField(_("sender process"))
    lease_until = models.DateTimeField(_("lease held until"))

    # The foreign key to the outbox row, and the fields telling its different e-mails apart
    # (an invitation and its reminder): duplicates are counted per e-mail.
    OWNER: str
    SAME_EMAIL: tuple[str, ...] = ()

    # Each concrete journal has Django's default manager; django-stubs gives an abstract model
    # none, and the class methods here and the services run on the concrete ones.
    objects: ClassVar[models.Manager[Self]]

    class Meta:
        abstract = True
        ordering = ["started_at", "id"]

    def __str__(self):
        return f"#{self.number} {self.get_outcome_display()}"

    @classmethod
    def possible_duplicate(cls) -> models.Exists:
        """For an annotation of the outbox rows: True when one of the row's e-mails may have
        reached the recipient more than once (two attempts sent or abandoned)."""
        deliveries = (
            cls.objects.filter(**{cls.OWNER: models.OuterRef("pk")}, outcome__in=MAY_HAVE_DELIVERED)
            .values(cls.OWNER, *cls.SAME_EMAIL)
            .annotate(deliveries=models.Count("pk"))
            .filter(deliveries__gte=2)
        )
        return models.Exists(deliveries)


class OutboundEmailAttempt(SendAttempt):
    email = models.ForeignKey(
        OutboundEmail,
        on_delete=models.CASCADE,
        related_name="send_attempts",
        verbose_name=_("outgoing e-mail"),
    )

    OWNER = "email"

    class Meta(SendAttempt.Meta):
        verbose_name = _("send attempt")
        verbose_name_plural = _("send attempts")
        indexes = [
            models.Index(fields=["outcome", "lease_until"], name="outbound_attempt_open"),
        ]


class InboundOutcome(models.TextChoices):
    CREATED = "created", _("New ticket")
    THREADED = "threaded", _("Added to a ticket")
    IGNORED = "ignored", _("Ignored (automatic mail)")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundEmail(models.Model):
    """Every message the support mailbox received and what became of it: a new ticket, a
    reply on one, ignored as automatic mail, or kept in quarantine with the reason (never
    dropped silently). The Message-ID makes a message count once."""

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, null=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=InboundOutcome.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("ticket"),
    )
    raw = models.BinaryField(_("raw message"), editable=False)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.get_outcome_display()}: {self.subject or self.message_id}"


# Raster images a browser shows and cannot execute, with the bytes each must start with
# (cases/views/attachments.py checks them before serving one inline).
IMAGE_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def attachment_path(instance, filename) -> str:
    """A random name: what the sender called the file never reaches the file system."""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file that came with a customer's e-mail (an attachment or an image inline in its
    text), or that an agent attached to a reply or a note (services/attachments.py). Stored
    under a random name; served only to who may see the ticket — the customer never gets an
    internal note's — and as a download unless it is a plain raster image
    (cases/views/attachments.py)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    reply = models.ForeignKey(
        Reply,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("reply"),
        help_text=_("Empty: it came with the message that opened the ticket."),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    inline = models.BooleanField(_("inline image"), default=False)
    content_id = models.CharField(_("Content-ID"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.filename

    @property
    def is_image(self) -> bool:
        """Declared as an image the page may show (the bytes are checked when served)."""
        return self.content_type in IMAGE_SIGNATURES


class MacroStatus(models.TextChoices):
    KEEP = "", _("Leave the status as it is")
    PENDING = "pending", _("Set pending (waiting on the customer)")
    RESOLVED = "resolved", _("Resolve, with the message as the resolution")


class Macro(models.Model):
    """A canned reply with actions. Shared macros (no owner) are the managers' and may be
    offered to some teams only; personal ones are their owner's alone. The texts may name
    the placeholders of cases/macro_text.py, checked when saved (services.save_macro)."""

    title = models.CharField(_("title"), max_length=120)
    body_es = models.TextField(_("reply in Spanish"), blank=True)
    body_en = models.TextField(_("reply in English"), blank=True)
    public = models.BooleanField(
        _("public reply"),
        default=True,
        help_text=_("Sent to the customer; otherwise an internal note."),
    )
    set_status = models.CharField(
        _("status"), max_length=10, choices=MacroStatus.choices, blank=True, default=""
    )
    set_priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, blank=True, default=""
    )
    set_category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    set_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Moves the ticket to this team (a transfer, not an escalation)."),
    )
    assign_to_me = models.BooleanField(
        _("assign to whoever applies it"), default=False, help_text=_("If they may hold it.")
    )
    add_tags = models.CharField(_("tags to add"), max_length=500, blank=True)
    remove_tags = models.CharField(_("tags to remove"), max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_macros",
        verbose_name=_("owner"),
        help_text=_("Empty: a shared macro."),
    )
    teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="macros",
        verbose_name=_("only for these teams"),
        help_text=_("A shared macro with no team is offered to everyone."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def body_for(self, language: str) -> str:
        """The reply in the customer's language, else the other one."""
        first, second = (
            (self.body_en, self.body_es)
            if language == "en"
            else (
                self.body_es,
                self.body_en,
            )
        )
        return first or second


class MacroUse(models.Model):
    """A macro applied to a ticket: what the effectiveness figures count."""

    macro = models.ForeignKey(
        Macro, on_delete=models.PROTECT, related_name="uses", verbose_name=_("macro")
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="macro_uses", verbose_name=_("ticket")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("macro use")
        verbose_name_plural = _("macro uses")
        indexes = [models.Index(fields=["macro", "at"], name="macro_use_time")]

    def __str__(self) -> str:
        return f"{self.macro_id} on {self.ticket_id}"


class TicketRelation(models.Model):
    """Two tickets that belong together ("the same outage", "see also"), with a note. Symmetric:
    stored once, the lower id first, and shown on both tickets."""

    first = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    second = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("related ticket")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("related tickets")
        verbose_name_plural = _("related tickets")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="ticket_relation_once"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")),
                name="ticket_relation_ordered",
            ),
        ]
        indexes = [models.Index(fields=["second"], name="ticket_relation_second")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"

    def other(self, ticket_id: int) -> int:
        return self.second_id if ticket_id == self.first_id else self.first_id


class SavedView(models.Model):
    """A queue's filters and sort kept under a name. Personal views are their owner's alone;
    shared ones (no owner) are the managers', offered to the whole desk or to some teams.

    `query` is the queue's query string as `services.save_view` normalised it (known keys
    only, each value checked, in a fixed order): the view's link is the queue with it, and
    two views with the same filters have the same text."""

    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
        verbose_name=_("owner"),
        help_text=_("Empty: a shared view."),
    )
    teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="saved_views",
        verbose_name=_("only for these teams"),
        help_text=_("A shared view with no team is offered to everyone."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            # One name per person, and one among the shared views, whatever its case.
            models.UniqueConstraint(
                Lower("name"),
                "owner",
                condition=models.Q(owner__isnull=False),
                name="saved_view_name_per_owner",
                violation_error_message=_("You already have a view with this name."),
            ),
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(owner__isnull=True),
                name="saved_view_shared_name",
                violation_error_message=_("A shared view with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None
