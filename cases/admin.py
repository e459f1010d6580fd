from collections import Counter
from typing import ClassVar

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .errors import PermissionDenied as ServicePermissionDenied
from .forms_auth import AdminLoginForm
from .models import (
    ROLE_GROUPS,
    Attachment,
    BusinessCalendar,
    Category,
    Channel,
    Customer,
    CustomerAddress,
    CustomerChange,
    CustomerMerge,
    Holiday,
    InboundEmail,
    InboundOutcome,
    Organisation,
    OrganisationChange,
    OrganisationDomain,
    OutboundEmail,
    OutboundEmailAttempt,
    Role,
    SendAttempt,
    SLAPolicy,
    Team,
    Ticket,
    TicketEvent,
    User,
    WorkingHours,
)
from .permissions import is_admin
from .services.customers import update_customer
from .services.inbound import reprocess


def _plain_agent(user: User) -> bool:
    """An account a manager may change: an agent, with no admin access of their own."""
    return user.role == Role.AGENT and not user.is_superuser and not user.is_staff


# What a manager may change of an agent's account: their name, language, availability for
# automatic assignment, e-mail preferences, and whether the account is active. Roles
# (groups), superuser and staff status, permissions, username, e-mail address and password
# are admins' alone, as are new accounts; managers place agents in teams under Teams.
MANAGER_USER_FIELDS = (
    "first_name",
    "last_name",
    "language",
    "is_available",
    "notify_assigned",
    "notify_escalated",
    "is_active",
)


class RoleFilter(admin.SimpleListFilter):
    """Users by their role, named in the reader's language. The role groups' names are data
    (always English), so filtering by group would show "Admin / Agent / Manager"."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        """The same highest role `User.role` reads: admin > manager > agent."""
        value = self.value()
        if value is None or value not in Role.values:
            return queryset
        chosen = Role(value)
        higher = [Role.ADMIN, Role.MANAGER, Role.AGENT]
        above = higher[: higher.index(chosen)]
        holds = Q(groups__name=ROLE_GROUPS[chosen])
        if chosen == Role.ADMIN:
            holds |= Q(is_superuser=True)
        else:
            queryset = queryset.exclude(is_superuser=True)
        for role in above:
            queryset = queryset.exclude(groups__name=ROLE_GROUPS[role])
        return queryset.filter(holds).distinct()


class ManagerUserForm(forms.ModelForm):
    """The only user form a manager gets: no password, role, group or permission field, so
    a crafted POST has nothing to land in."""

    class Meta:
        model = User
        fields = MANAGER_USER_FIELDS


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Admins: everything Django's user admin does. Managers: every account read-only, and
    agents' accounts limited to MANAGER_USER_FIELDS — enforced in the permissions, the
    form and the password view, not only hidden."""

    list_display = ("username", "display_name", "email", "role_label", "is_active")
    list_filter = (RoleFilter, "is_active", "teams")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),  # (Django's has them; the stubs say Optional)
        (
            _("Pulso"),
            {"fields": ("language", "is_available", "notify_assigned", "notify_escalated")},
        ),
    )
    manager_fieldsets = (
        (None, {"fields": ("username", "role_label", "teams_label")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Pulso"),
            {
                "fields": (
                    "language",
                    "is_available",
                    "notify_assigned",
                    "notify_escalated",
                    "is_active",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        # Each row's role comes from its groups: one query for the page, not one per row.
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("role"))
    def role_label(self, obj):
        return Role(obj.role).label if obj.role else "—"

    @admin.display(description=_("teams"))
    def teams_label(self, obj):
        return ", ".join(team.name for team in obj.teams.all()) or "—"

    def has_add_permission(self, request):
        return is_admin(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return is_admin(request.user) or obj is None or _plain_agent(obj)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        return super().get_actions(request) if is_admin(request.user) else {}

    def get_fieldsets(self, request, obj=None):
        if is_admin(request.user):
            return super().get_fieldsets(request, obj)
        return self.manager_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if is_admin(request.user):
            return super().get_readonly_fields(request, obj)
        return ("username", "role_label", "teams_label", "email", "last_login", "date_joined")

    def get_form(self, request, obj=None, **kwargs):
        if is_admin(request.user):
            return super().get_form(request, obj, **kwargs)
        kwargs["form"] = ManagerUserForm
        kwargs["fields"] = [
            f for f in MANAGER_USER_FIELDS if f not in self.get_readonly_fields(request, obj)
        ]
        form = super().get_form(request, obj, **kwargs)
        # What a manager only reads needs no instructions for typing it ("Required. 150
        # characters…" under a username they cannot change): the admin takes a read-only
        # field's help text from the form's Meta.help_texts before the model's.
        shown = flatten_fieldsets(self.manager_fieldsets)
        editable = set(form.base_fields) if self.has_change_permission(request, obj) else set()
        form._meta.help_texts = {name: "" for name in shown if name not in editable}
        return form

    def user_change_password(self, request, id, form_url=""):
        """Only admins set passwords here; everyone changes their own with the old one."""
        if not is_admin(request.user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "calendar", "assignment", "is_active")
    list_filter = ("level", "is_active")
    filter_horizontal = ("members",)
    search_fields = ("name",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "default_team", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


class ReadOnlyInline(admin.TabularInline):
    """A record shown under its parent and never changed in the admin (an audit trail, send
    attempts): whoever may see the parent sees it, nobody adds, edits or deletes a row."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return self.admin_site.get_model_admin(self.parent_model).has_view_permission(request, obj)


class CustomerChangeInline(ReadOnlyInline):
    """Who changed the customer's details, read-only, for whoever may see the customer."""

    model = CustomerChange
    fields = ("at", "by", "changes")
    readonly_fields = fields


class CustomerAddressInline(ReadOnlyInline):
    """The customer's other addresses, read-only (added and removed on the customer's page
    in the workspace, where each change is recorded)."""

    model = CustomerAddress
    fields = ("email", "added_at")
    readonly_fields = fields


class CustomerMergeInline(ReadOnlyInline):
    """Duplicate records merged into this customer (the workspace merges them)."""

    model = CustomerMerge
    fk_name = "kept"
    fields = ("at", "by", "merged_id", "merged_name", "merged_email", "moved")
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """A change goes through `update_customer`, as in the workspace: recorded, and a new
    e-mail address announced to the old one."""

    list_display = (
        "name",
        "email",
        "company",
        "organisation",
        "language",
        "active_since",
        "churned_at",
    )
    list_filter = ("language",)
    list_select_related = ("organisation",)
    search_fields = ("name", "email", "company", "phone", "addresses__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("organisation",)
    inlines = [CustomerAddressInline, CustomerMergeInline, CustomerChangeInline]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            update_customer(customer=obj, by=request.user, **changes)
        except ServicePermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        return None


class ReadOnlyAdmin(admin.ModelAdmin):
    """Tickets change only through the services (lifecycle, events): the admin only reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrganisationDomainInline(ReadOnlyInline):
    model = OrganisationDomain
    fields = ("domain",)
    readonly_fields = fields


class OrganisationChangeInline(ReadOnlyInline):
    model = OrganisationChange
    fields = ("at", "by", "changes")
    readonly_fields = fields


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    """Read here; created and edited on the workspace's Organisations pages, where domains
    are checked (no free-mail domain, one organisation each) and every change recorded."""

    list_display = ("name", "account_manager", "created_at")
    list_select_related = ("account_manager",)
    search_fields = ("name", "domains__domain")
    inlines = [OrganisationDomainInline, OrganisationChangeInline]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("reference", "subject", "status", "priority", "level", "team", "assignee")
    list_filter = ("status", "priority", "channel", "level", "team")
    search_fields = ("subject", "customer__email")
    list_select_related = ("team", "assignee")


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "actor", "at")
    list_filter = ("kind",)
    list_select_related = ("ticket", "actor")


class SendAttemptsInline(ReadOnlyInline):
    """An outbox row's send attempts, read-only, for whoever may see the row: who tried,
    when, holding which lease, and how it ended (abandoned: the sender died mid-send)."""

    # Any length: an outbox's own inline puts its columns in front (surveys' mail).
    fields: ClassVar[tuple[str, ...]] = (
        "number",
        "outcome",
        "started_at",
        "finished_at",
        "sender",
        "lease_until",
        "error",
    )
    readonly_fields = fields
    ordering = ("started_at", "id")

    @admin.display(description=_("sending process"))
    def sender(self, obj: SendAttempt) -> str:
        return f"{obj.hostname}:{obj.pid}"


class PossibleDuplicateFilter(admin.SimpleListFilter):
    """Rows whose e-mail may have reached the recipient twice (see SendAttemptsAdmin)."""

    title = _("possible duplicate")
    parameter_name = "possible_duplicate"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(possible_duplicate=self.value() == "yes")
        return queryset


class SendAttemptsAdmin(admin.ModelAdmin):
    """An outbox's admin: the attempts inline and a "possible duplicate" flag — two attempts
    at one e-mail that were sent or abandoned (a sender that died may have sent it)."""

    attempt_model: type[SendAttempt]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(possible_duplicate=self.attempt_model.possible_duplicate())
        )

    @admin.display(description=_("possible duplicate"), boolean=True, ordering="possible_duplicate")
    def possible_duplicate(self, obj) -> bool:
        return obj.possible_duplicate


class OutboundEmailAttemptInline(SendAttemptsInline):
    model = OutboundEmailAttempt


@admin.register(OutboundEmail)
class OutboundEmailAdmin(SendAttemptsAdmin, ReadOnlyAdmin):
    """Every e-mail about a ticket and how its sending went (failed ones with the error,
    each try with its outcome)."""

    attempt_model = OutboundEmailAttempt
    inlines = [OutboundEmailAttemptInline]
    list_display = (
        "ticket",
        "kind",
        "to",
        "status",
        "attempts",
        "possible_duplicate",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", PossibleDuplicateFilter, "kind")
    readonly_fields = ("possible_duplicate",)
    list_select_related = ("ticket", "ticket__customer", "recipient", "customer")
    search_fields = (
        "message_id",
        "ticket__customer__email",
        "recipient__email",
        "to_address",
    )

    @admin.display(description=_("to"))
    def to(self, obj):
        if obj.to_address:
            return obj.to_address
        return obj.recipient.email if obj.recipient_id else obj.ticket.customer.email


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "always_open")
    inlines = [WorkingHoursInline, HolidayInline]
    search_fields = ("name",)


class SLAPolicyForm(forms.ModelForm):
    channels = forms.TypedMultipleChoiceField(
        label=capfirst(SLAPolicy._meta.get_field("channels").verbose_name),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "name",
            "priority",
            "first_response_minutes",
            "resolution_minutes",
            "categories",
            "teams",
            "channels",
            "escalate_to",
            "is_active",
        ]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    form = SLAPolicyForm
    list_display = (
        "name",
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "escalate_to",
        "is_active",
    )
    list_filter = ("priority", "is_active")
    filter_horizontal = ("categories", "teams")
    search_fields = ("name",)


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    """What the mailbox received; quarantined messages with their reason. An admin can
    read a message as it arrived and take it in again (after a fix, or when it was not
    machine mail after all)."""

    list_display = ("received_at", "outcome", "sender", "subject", "ticket", "reason")
    list_filter = ("outcome",)
    search_fields = ("sender", "subject", "message_id")
    exclude = ("raw",)
    readonly_fields = ("raw_message",)
    actions = ["take_in_again"]

    @admin.display(description=_("raw message (first 64 KB)"))
    def raw_message(self, obj):
        text = bytes(obj.raw[:65536]).decode("utf-8", errors="replace")
        return format_html('<pre style="white-space: pre-wrap; max-height: 40em">{}</pre>', text)

    @admin.action(description=_("Take the selected quarantined or ignored messages in again"))
    def take_in_again(self, request, queryset):
        outcomes = Counter()
        for record in queryset.filter(
            outcome__in=[InboundOutcome.QUARANTINED, InboundOutcome.IGNORED]
        ):
            outcomes[str(InboundOutcome(reprocess(record).outcome).label)] += 1
        summary = ", ".join(f"{label}: {count}" for label, count in sorted(outcomes.items()))
        self.message_user(request, summary or _("Nothing to take in again."))


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "ticket", "content_type", "size", "inline", "created_at")
    list_filter = ("inline",)
    search_fields = ("filename", "ticket__subject")
    list_select_related = ("ticket",)
    exclude = ("file",)


# Pulso's name on every admin page, instead of "Django administration".
admin.site.site_header = _("Pulso administration")
admin.site.site_title = _("Pulso admin")
admin.site.index_title = _("Manage Pulso")

# The admin's login counts passwords in the workspace login's budgets (cases/login_guard.py).
admin.site.login_form = AdminLoginForm
