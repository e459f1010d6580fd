"""Step 3, first part: the file's teams, customers and agents written or adopted, and the
team and category names the tickets use created as they are named. Also where the tickets
find the Pulso rows their references became.

Precondition for everything here: inside the import's transaction and `replaying_history()`.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import lru_cache

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from cases import services
from cases.errors import CasesError
from cases.models import (
    ROLE_GROUPS,
    Category,
    Customer,
    CustomerAddress,
    Organisation,
    OrganisationDomain,
    Role,
    Team,
    User,
)
from cases.selectors import customers_with_email
from cases.services.customers import new_customer
from cases.services.organisations import find_or_create_organisation

from ..bulkload import IdPool, Sink
from ..digest import last_full_week
from ..models import ImportedRecord
from .records import AGENT, BY_CUSTOMER, CUSTOMER, TEAM, Record
from .references import Entry, imported_before
from .report import ImportReport, Problem
from .rows import columns_of, row_of

CUSTOMER_BATCH = 1000


class Refused(Exception):
    """A step of a record's import was refused: the record is invalid (the message says why)."""


def invalid(report: ImportReport, record: Record, message: str) -> None:
    """A record refused while it was written."""
    record.errors.append(message)
    report.counts[record.type].invalid += 1
    report.problems.append(Problem(record.line, message, record.type, record.external_id))


class Names:
    """Teams and categories by name, created when a name is new (a team at level 1). What one
    ticket created can be forgotten when that ticket is refused."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.teams: dict[str, Team] = {}
        self.categories: dict[str, Category] = {}
        self.created: list[Team | Category] = []  # by the current ticket
        self.changes = 0  # how many teams were created or removed: cached choices go stale

    def team(self, name: str) -> Team:
        if name not in self.teams:
            team = Team.objects.filter(name=name).first()
            if team is None:
                team = Team.objects.create(name=name, level=1)
                self.report.teams_named += 1
                self.created.append(team)
                self.changes += 1
            self.teams[name] = team
        return self.teams[name]

    def category(self, name: str) -> Category:
        if name not in self.categories:
            category = Category.objects.filter(name=name).first()
            if category is None:
                category = Category.objects.create(name=name)
                self.report.categories_named += 1
                self.created.append(category)
            self.categories[name] = category
        return self.categories[name]

    def start_ticket(self) -> None:
        self.created = []

    def forget_ticket(self, *, delete: bool) -> None:
        """The current ticket was refused: what it named is gone (rolled back with its
        savepoint, or `delete`d here)."""
        for made in reversed(self.created):
            if isinstance(made, Team):
                self.teams.pop(made.name, None)
                self.report.teams_named -= 1
                self.changes += 1
            else:
                self.categories.pop(made.name, None)
                self.report.categories_named -= 1
            if delete:
                made.delete()
        self.created = []


class People:
    """Writes the teams, customers and agents; hands the tickets the rows their references
    point at."""

    def __init__(self, report: ImportReport, imported: dict[tuple[str, str], int], now: datetime):
        self.report, self.imported, self.now = report, imported, now
        self.names = Names(report)
        # Customers written or adopted by this import: external id → (id, language).
        self.customers: dict[str, tuple[int, str]] = {}
        self.agents: dict[str, User] = {}
        # Customers whose start the tickets give: external id → (id, start written,
        # churned_at, their start before the import if they were adopted).
        self.derived_starts: dict[str, tuple[int, date, date | None, date | None]] = {}
        # The rows earlier imports made of references: (id, language) of a customer, a
        # user, or the Refused that says why there is none.
        self._earlier: dict[tuple[str, str], object] = {}
        self._looked_up: set[tuple[str, str]] = set()
        # Organisations named by the customers' `company`, by lower-cased name; and every
        # organisation's domains (read once, for the batched path's new customers).
        self.organisations: dict[str, Organisation] = {}
        self._domains: dict[str, Organisation] | None = None

    # --- what was imported before ---------------------------------------------------------

    def _todo(self, records: Iterable[Record], kind: str) -> list[Record]:
        """The valid records of a type not imported before (those are counted present)."""
        todo = []
        for record in records:
            if record.type != kind or not record.valid:
                continue
            if (kind, record.external_id) in self.imported:
                self.report.counts[kind].present += 1
            else:
                todo.append(record)
        return todo

    def _remember(self, kind: str, records_and_ids: list[tuple[Record, int]]) -> None:
        ImportedRecord.objects.bulk_create(
            ImportedRecord(type=kind, external_id=r.ref, object_id=pk, imported_at=self.now)
            for r, pk in records_and_ids
        )

    def look_up(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Find the earlier imports a batch of tickets refers to and load their rows, in a
        few queries: what `customer()` and `agent()` then hand out without asking."""
        wanted = {
            pair
            for pair in pairs
            if pair not in self._earlier
            and pair[1] not in (self.customers if pair[0] == CUSTOMER else self.agents)
        }
        unknown = {pair for pair in wanted if pair not in self.imported}
        self.imported.update(imported_before(unknown - self._looked_up))
        self._looked_up |= unknown
        found = {pair: self.imported[pair] for pair in wanted if pair in self.imported}
        customers = [pk for (kind, _id), pk in found.items() if kind == CUSTOMER]
        agents = [pk for (kind, _id), pk in found.items() if kind == AGENT]
        languages: dict[int, str] = {}
        users: dict[int, User] = {}
        for start in range(0, max(len(customers), len(agents)), 500):
            languages.update(
                Customer.objects.filter(pk__in=customers[start : start + 500]).values_list(
                    "pk", "language"
                )
            )
            users.update(
                (user.pk, user)
                for user in User.objects.filter(
                    pk__in=agents[start : start + 500]
                ).prefetch_related("groups")
            )
        for (kind, external_id), pk in found.items():
            if kind == CUSTOMER:
                row: object = (pk, languages[pk]) if pk in languages else None
            else:
                row = users.get(pk)
            self._earlier[(kind, external_id)] = row or Refused(
                f"{kind} {external_id} was imported before but no longer exists"
            )

    # --- teams ----------------------------------------------------------------------------

    def write_teams(self, records: list[Record]) -> None:
        done = []
        for record in self._todo(records, TEAM):
            name, counts = record.data["name"], self.report.counts[TEAM]
            team = Team.objects.filter(name=name).first()
            if team is None:
                team = Team.objects.create(name=name, level=record.data["level"])
                counts.created += 1
            else:
                counts.matched += 1
            self.names.teams[name] = team
            done.append((record, team.pk))
        self._remember(TEAM, done)

    # --- customers ------------------------------------------------------------------------

    def organisation(self, company: str) -> Organisation | None:
        """The organisation a customer's `company` names: found by name whatever its case,
        or created (docs/import.md). None for no company."""
        name = (company or "").strip()
        if not name:
            return None
        key = name.lower()
        if key not in self.organisations:
            self.organisations[key] = find_or_create_organisation(name=name)
        return self.organisations[key]

    def organisation_of_domain(self, email: str) -> Organisation | None:
        """The organisation a new customer joins by their address's domain, as
        `find_or_create_customer` finds it (`organisation_for_email`), from one read."""
        if self._domains is None:
            self._domains = {
                row.domain: row.organisation
                for row in OrganisationDomain.objects.select_related("organisation")
            }
        _local, at, domain = (email or "").strip().rpartition("@")
        return self._domains.get(domain.lower()) if at and domain else None

    def write_customers(
        self,
        entries: dict[str, Entry],
        read: Callable[[Entry], Record],
        first_days: dict[str, date],
        *,
        bulk: bool,
    ) -> None:
        """The valid customer records (read again with `read`), in batches: in bulk, or one
        by one through the services (the reference the bulk path is checked against).
        `first_days`: the day of each customer's first ticket, the start of a customer whose
        record gives none."""
        counts = self.report.counts[CUSTOMER]
        batch: list[Record] = []
        pool = IdPool(Customer, block=CUSTOMER_BATCH) if bulk else None
        sink = Sink() if bulk else None
        add_customer = sink.table(Customer, columns_of(Customer)) if sink else None
        add_record = sink.table(ImportedRecord, IMPORTED_COLUMNS) if sink else None
        for external_id, entry in entries.items():
            if not entry.valid:
                continue
            if (CUSTOMER, external_id) in self.imported:
                counts.present += 1
                continue
            batch.append(read(entry))
            if len(batch) >= CUSTOMER_BATCH:
                self._write_customer_batch(batch, first_days, pool, add_customer, add_record)
                batch = []
        if batch:
            self._write_customer_batch(batch, first_days, pool, add_customer, add_record)
        if sink is not None:
            sink.close()
            self.report.copies += sink.copies

    def _write_customer_batch(
        self,
        records: list[Record],
        first_days: dict[str, date],
        pool: IdPool | None,
        add_customer: Callable[[tuple], None] | None,
        add_record: Callable[[tuple], None] | None,
    ) -> None:
        existing = _existing_customers([r.data["email"] for r in records]) if pool else {}
        done = []
        for record in records:
            data, counts = record.data, self.report.counts[CUSTOMER]
            since = data["active_since"] or first_days.get(record.ref)
            if since and data["churned_at"] and since > data["churned_at"]:
                since = data["churned_at"]  # a derived start never comes after the churn
            organisation = self.organisation(data["company"])
            try:
                if pool is None:
                    customer, adopted, before = _write_customer_with_services(
                        data, since, organisation
                    )
                else:
                    customer, adopted, before = _write_customer(
                        data,
                        since,
                        existing,
                        organisation or self.organisation_of_domain(data["email"]),
                    )
            except CasesError as error:
                invalid(self.report, record, error.message)
                continue
            if adopted:
                counts.matched += 1
            else:
                counts.created += 1
                if pool is not None and add_customer is not None:
                    customer.pk = pool.next()
                    add_customer(row_of(customer))
            self.customers[record.ref] = (customer.pk, customer.language)
            if not data["active_since"]:
                self.derived_starts[record.ref] = (
                    customer.pk,
                    customer.active_since,
                    data["churned_at"],
                    before,
                )
            done.append((record, customer.pk))
        if add_record is not None:
            for record, pk in done:
                add_record((CUSTOMER, record.external_id, pk, self.now))
        else:
            self._remember(CUSTOMER, done)

    def correct_starts(self, first_days: dict[str, date]) -> int:
        """The first pass took each ticket's day as it read it; the customers' starts follow
        only the tickets that turned out valid (a refused ticket does not count): correct
        the few starts that differ. Returns how many changed."""
        changed = 0
        for external_id, (pk, written, churned, before) in self.derived_starts.items():
            since = first_days.get(external_id)
            if since and churned and since > churned:
                since = churned
            if before is None:  # created by the import
                target = since or timezone.localdate()
            else:  # adopted: only an earlier start moves it
                target = since if since and since < before else before
            if target != written:
                services.update_customer(customer=Customer(pk=pk), by=None, active_since=target)
                changed += 1
        return changed

    # --- agents ---------------------------------------------------------------------------

    def write_agents(self, records: list[Record]) -> None:
        groups = {
            role: Group.objects.get_or_create(name=ROLE_GROUPS[role])[0]
            for role in (Role.AGENT, Role.MANAGER)
        }
        # The last full week before the import was lived in the old tool: the people the
        # import brings in (or makes managers) get no weekly digest of it. Next Monday's
        # digest, about a week on Pulso, goes out as usual.
        digested = last_full_week(timezone.localdate(self.now)).start_date
        done = []
        for record in self._todo(records, AGENT):
            data, counts = record.data, self.report.counts[AGENT]
            user = User.objects.filter(username=data["username"]).first()
            new = user is None
            if user is None:
                user = User(
                    username=data["username"],
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    language=data["language"],
                )
                user.set_unusable_password()
                user.save()
                counts.created += 1
            else:
                counts.matched += 1
            was_manager = not new and user.role in (Role.MANAGER, Role.ADMIN)
            user.groups.add(groups[Role.MANAGER if data["manager"] else Role.AGENT])
            user.__dict__.pop("role", None)
            if not was_manager and (
                user.weekly_digest_sent_for is None or user.weekly_digest_sent_for < digested
            ):
                User.objects.filter(pk=user.pk).update(weekly_digest_sent_for=digested)
            for name in data["teams"]:
                self.names.team(name).members.add(user)
            self.agents[record.ref] = user
            done.append((record, user.pk))
        self._remember(AGENT, done)
        self.names.start_ticket()  # what the agents named stays, whatever the tickets do

    # --- what the tickets refer to --------------------------------------------------------

    def _earlier_row(self, kind: str, external_id: str) -> object:
        """The row an earlier import made of a reference, or a Refused to raise."""
        key = (kind, external_id)
        if key not in self._earlier:
            self.look_up([key])
        found = self._earlier.get(key)
        if found is None:  # its record is in the file but could not be written
            found = self._earlier[key] = Refused(
                f"{kind} {external_id} could not be imported: see its line"
            )
        if isinstance(found, Refused):
            raise found
        return found

    def customer(self, external_id: str) -> Customer:
        """The customer (id and language are all a ticket needs of it)."""
        known = self.customers.get(external_id)
        if known is None:
            known = self._earlier_row(CUSTOMER, external_id)  # type: ignore[assignment]
        return _customer_stub(*known)  # type: ignore[misc]

    def agent(self, external_id: str) -> User:
        if external_id not in self.agents:
            user = self._earlier_row(AGENT, external_id)
            assert isinstance(user, User)
            self.agents[external_id] = user
        return self.agents[external_id]

    def actor(self, external_id: str | None) -> User | None:
        if external_id in (None, BY_CUSTOMER):
            return None
        return self.agent(external_id)


IMPORTED_COLUMNS = ("type", "external_id", "object_id", "imported_at")


@lru_cache(maxsize=4096)
def _customer_stub(pk: int, language: str) -> Customer:
    """What a ticket needs of its customer: the id, and the language for its surveys. Kept
    for the customers met lately (a desk's regulars write often)."""
    return Customer(  # type: ignore[misc]  # never saved: None skips computing the defaults
        pk=pk, language=language, active_since=None, created_at=None
    )


def _existing_customers(emails: list[str]) -> dict[str, Customer]:
    """The customers these e-mails already belong to (as their primary or one of their
    other addresses), by lower-cased e-mail. ASCII ones in two queries per 500 (the
    database's LOWER and Python's agree on them); `_write_customer` asks for the others one
    by one, as `customers_with_email` does."""
    wanted = sorted({e.lower() for e in emails if e and e.isascii()})
    found: dict[str, Customer] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        matching = Customer.objects.alias(email_lower=Lower("email")).filter(email_lower__in=chunk)
        for customer in matching.exclude(email=""):
            found[customer.email.lower()] = customer
        others = (
            CustomerAddress.objects.alias(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .select_related("customer")
        )
        for address in others:
            found[address.email.lower()] = address.customer
    return found


def _adopt(
    found: Customer, since: date | None, organisation: Organisation | None
) -> tuple[Customer, bool, date | None]:
    """A customer who was there before the import: its start moved earlier if the history
    knows an earlier one, and put in the organisation of its `company` if it had none."""
    before = found.active_since
    changes: dict[str, object] = {}
    if since and since < found.active_since:
        changes["active_since"] = since
    if organisation is not None and found.organisation_id is None:
        changes["organisation"] = organisation
    if changes:
        with transaction.atomic():
            services.update_customer(customer=found, by=None, **changes)
    return found, True, before


def _write_customer(
    data: dict,
    since: date | None,
    existing: dict[str, Customer],
    organisation: Organisation | None,
) -> tuple[Customer, bool, date | None]:
    """One customer in bulk: adopted (`_adopt`), or new and unsaved, in `organisation` (its
    company's, else its domain's). (customer, adopted, its start before the import)."""
    email = data["email"]
    if email and email.isascii():
        found = existing.get(email.lower())
    else:
        found = customers_with_email(email).first() if email else None
    if found is not None:
        company = organisation if data["company"] else None  # a domain adopts nobody
        return _adopt(found, since, company)
    customer = new_customer(
        email=email,
        name=data["name"],
        phone=data["phone"],
        company=data["company"],
        language=data["language"],
        organisation=organisation,
    )
    if since:
        customer.active_since = since
    if data["churned_at"]:
        customer.churned_at = data["churned_at"]
    return customer, False, None


def _write_customer_with_services(
    data: dict, since: date | None, organisation: Organisation | None
) -> tuple[Customer, bool, date | None]:
    """One customer through the services, as the import always did; a new one in the
    organisation of its `company` (else `find_or_create_customer` finds its domain's)."""
    with transaction.atomic():
        existing = customers_with_email(data["email"]).first() if data["email"] else None
        if existing is not None:
            return _adopt(existing, since, organisation)
        customer = services.find_or_create_customer(
            email=data["email"],
            name=data["name"],
            phone=data["phone"],
            company=data["company"],
            language=data["language"],
            organisation=organisation,
        )
        changes = {"active_since": since, "churned_at": data["churned_at"]}
        changes = {k: v for k, v in changes.items() if v}
        if changes:
            services.update_customer(customer=customer, by=None, **changes)
        return customer, False, None
