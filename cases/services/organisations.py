"""Organisations: create and edit one (name, notes, account manager, e-mail domains), every
change recorded (`OrganisationChange`: who, when, old → new).

Who may: managers and admins (`may_edit_organisation`). An organisation is shared by every
team — its contacts' cases are anyone's — and its domains decide where future customers land,
so it is managed like the desk's other shared things (teams, categories, shared views).
Agents read organisations and put a customer they may edit in one (`update_customer`).

Domains: typed in any case, stored in lower case, each a valid domain name with a dot, one
organisation per domain. Free-mail domains (gmail.com, hotmail.com, outlook.com, yahoo.com,
icloud.com, live.com, … and their country variants such as yahoo.com.mx or hotmail.es) are
never an organisation's: half the world writes from them.
"""

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import DomainNameValidator
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from ..errors import PermissionDenied, ValidationError
from ..models import Organisation, OrganisationChange, OrganisationDomain, User
from ..selectors import staff_users

# A provider's name followed by a public suffix of one or two short labels: gmail.com,
# yahoo.com.mx, hotmail.co.uk, outlook.es, pm.me.
FREE_MAIL_PROVIDERS = frozenset(
    [
        "aol",
        "gmail",
        "googlemail",
        "gmx",
        "hotmail",
        "hushmail",
        "icloud",
        "inbox",
        "live",
        "mac",
        "mail",
        "me",
        "msn",
        "outlook",
        "pm",
        "proton",
        "protonmail",
        "rocketmail",
        "tuta",
        "tutanota",
        "yahoo",
        "yandex",
        "ymail",
        "zoho",
        "fastmail",
    ]
)
# Free-mail domains that do not follow that pattern.
FREE_MAIL_DOMAINS = frozenset(
    [
        "qq.com",
        "163.com",
        "126.com",
        "mail.ru",
        "web.de",
        "t-online.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "terra.com.br",
        "uol.com.br",
        "bol.com.br",
    ]
)
_SHORT_SUFFIX = re.compile(r"^[a-z]{2,3}$")
_SEPARATORS = re.compile(r"[\s,;]+")
_domain_name = DomainNameValidator()

_EDITABLE = ("name", "notes", "account_manager", "domains")


def is_free_mail_domain(domain: str) -> bool:
    """True for a domain anyone can get an address at (gmail.com, yahoo.com.mx …)."""
    domain = domain.lower()
    if domain in FREE_MAIL_DOMAINS:
        return True
    provider, _dot, suffix = domain.partition(".")
    labels = suffix.split(".")
    return (
        provider in FREE_MAIL_PROVIDERS
        and 1 <= len(labels) <= 2
        and all(_SHORT_SUFFIX.match(label) for label in labels)
    )


def parse_domains(text: str) -> list[str]:
    """The domains of a comma- (or space-) separated list as typed, unchecked."""
    return [part for part in _SEPARATORS.split(text or "") if part]


def normalise_domain(domain: str) -> str:
    """A domain as stored (lower case, without a leading @ or a trailing dot); refused with
    the reason when it is not a domain name or is a free-mail one."""
    value = domain.strip().lower().lstrip("@").rstrip(".")
    if "@" in value:  # an address typed whole: its domain is meant
        value = value.rpartition("@")[2]
    try:
        _domain_name(value)
    except DjangoValidationError:
        value = ""
    if not value or "." not in value or len(value) > 253:
        raise ValidationError(
            _("“%(domain)s” is not an e-mail domain (like empresa.com.co).") % {"domain": domain},
            field="domains",
        )
    if is_free_mail_domain(value):
        raise ValidationError(
            _(
                "%(domain)s is a free e-mail service anyone can use: its addresses cannot make "
                "someone a contact of an organisation."
            )
            % {"domain": value},
            field="domains",
        )
    return value


def _clean_domains(domains: Iterable[str], organisation: Organisation | None) -> list[str]:
    """The domains normalised, without repeats, in order; refused when one is another
    organisation's."""
    cleaned: list[str] = []
    for domain in domains:
        value = normalise_domain(domain)
        if value not in cleaned:
            cleaned.append(value)
    if not cleaned:
        return cleaned
    taken = OrganisationDomain.objects.filter(domain__in=cleaned).select_related("organisation")
    if organisation is not None and organisation.pk is not None:
        taken = taken.exclude(organisation=organisation)
    clash = taken.first()
    if clash is not None:
        raise ValidationError(
            _("%(organisation)s already has the domain %(domain)s.")
            % {"domain": clash.domain, "organisation": clash.organisation.name},
            field="domains",
        )
    return cleaned


def may_edit_organisation(user: User | None) -> bool:
    """The edit policy (module docstring): managers and admins. Reads only."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.sees_all_tickets)


def check_may_edit_organisation(user: User | None) -> None:
    """Raise PermissionDenied unless `user` may create and edit organisations."""
    if not may_edit_organisation(user):
        raise PermissionDenied(_("Only managers and admins create and edit organisations."))


def _clean_name(name: str, organisation: Organisation | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("An organisation needs a name."), field="name")
    if len(name) > 150:
        raise ValidationError(_("A name has at most 150 characters."), field="name")
    same = Organisation.objects.alias(name_lower=Lower("name")).filter(
        name_lower=Lower(Value(name))
    )
    if organisation is not None and organisation.pk is not None:
        same = same.exclude(pk=organisation.pk)
    if same.exists():
        raise ValidationError(_("An organisation with this name already exists."), field="name")
    return name


def _check_account_manager(user: User | None) -> None:
    if user is not None and not staff_users().filter(pk=user.pk).exists():
        raise ValidationError(
            _("The account manager must be an active member of staff."), field="account_manager"
        )


def _as_text(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if field == "account_manager":
        return str(value.display_name)
    if field == "domains":
        return ", ".join(value) or None
    return str(value)


def _save(organisation: Organisation, fields: list[str] | None) -> None:
    """Save, turning a clash another request made a moment ago into the refusal."""
    try:
        with transaction.atomic():
            organisation.save(update_fields=fields)
    except IntegrityError:
        raise ValidationError(
            _("An organisation with this name already exists."), field="name"
        ) from None


def _set_domains(organisation: Organisation, domains: list[str]) -> None:
    OrganisationDomain.objects.filter(organisation=organisation).exclude(
        domain__in=domains
    ).delete()
    have = set(organisation.domains.values_list("domain", flat=True))
    try:
        with transaction.atomic():
            OrganisationDomain.objects.bulk_create(
                OrganisationDomain(organisation=organisation, domain=domain)
                for domain in domains
                if domain not in have
            )
    except IntegrityError:  # another organisation took one a moment ago
        raise ValidationError(
            _("One of these domains was just given to another organisation."), field="domains"
        ) from None


@transaction.atomic
def create_organisation(
    *,
    by: User | None,
    name: str,
    notes: str = "",
    account_manager: User | None = None,
    domains: Iterable[str] = (),
) -> Organisation:
    """A new organisation, as `by` (None: the system — demo data, the history import).
    Refused with nothing written: a name already used (in any case), a bad, free-mail or
    taken domain, an account manager who is not active staff, or `by` not a manager."""
    if by is not None:
        check_may_edit_organisation(by)
    organisation = Organisation(
        name=_clean_name(name, None), notes=(notes or "").strip(), account_manager=account_manager
    )
    _check_account_manager(account_manager)
    cleaned = _clean_domains(domains, None)
    _save(organisation, None)
    if cleaned:
        _set_domains(organisation, cleaned)
    created = {
        "name": organisation.name,
        "notes": organisation.notes,
        "account_manager": account_manager,
        "domains": cleaned,
    }
    OrganisationChange.objects.create(
        organisation=organisation,
        by=by,
        changes={
            field: [None, _as_text(field, value)]
            for field, value in created.items()
            if _as_text(field, value) is not None
        },
    )
    return organisation


@transaction.atomic
def update_organisation(
    *,
    organisation: Organisation,
    by: User | None,
    # Fields of _EDITABLE: name and notes as text, account_manager a User or None, domains
    # the whole new list (typed as the user wrote them).
    **changes: Any,
) -> Organisation:
    """Change an organisation as `by` (None: the system). Refused with nothing written as
    `create_organisation` refuses. Records what changed; contacts who joined through a
    removed domain stay (a customer's organisation changes only on their own record)."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown organisation fields: %s") % ", ".join(sorted(unknown)))
    if by is not None:
        check_may_edit_organisation(by)
    current = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"], current)
    if "notes" in changes:
        changes["notes"] = (changes["notes"] or "").strip()
    if "account_manager" in changes:
        _check_account_manager(changes["account_manager"])
    before = {
        "name": current.name,
        "notes": current.notes,
        "account_manager": current.account_manager,
        "domains": sorted(current.domains.values_list("domain", flat=True)),
    }
    if "domains" in changes:
        changes["domains"] = sorted(_clean_domains(changes["domains"], current))
    diff = {
        field: (before[field], value) for field, value in changes.items() if before[field] != value
    }
    if not diff:
        return current
    fields = [field for field in diff if field != "domains"]
    for field in fields:
        setattr(current, field, diff[field][1])
    if fields:
        _save(current, fields)
    if "domains" in diff:
        _set_domains(current, diff["domains"][1])
    OrganisationChange.objects.create(
        organisation=current,
        by=by,
        changes={
            field: [_as_text(field, old), _as_text(field, new)]
            for field, (old, new) in diff.items()
        },
    )
    for field in fields:
        setattr(organisation, field, getattr(current, field))
    return current


def find_or_create_organisation(*, name: str) -> Organisation:
    """The organisation with this name, whatever its case, created if new (by the system):
    where the history import puts a customer's `company`."""
    name = (name or "").strip()
    found = (
        Organisation.objects.alias(name_lower=Lower("name"))
        .filter(name_lower=Lower(Value(name)))
        .first()
    )
    if found is not None:
        return found
    return create_organisation(by=None, name=name)
