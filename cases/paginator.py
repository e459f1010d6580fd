"""Pagination for lists that grow with the desk: every list page of the workspace, the
survey pages and the API paginate with `CappedPaginator`.

Counting every match of a large list costs as much as reading it (at a million tickets,
"every closed ticket" is most of the table), and nobody pages through a million rows by
number. So the count stops at `COUNT_CAP`: the database reads the ids of at most
COUNT_CAP + 1 matches, in no order (`SELECT id … LIMIT COUNT_CAP + 1`), the pager says
"1000+", and Next / Previous keep working past the cap (a page knows it has a next one by
reading one row more than it shows).

Those ids also make the page itself safe. "The newest 25 matches" is read by walking an
index in date order and keeping what matches; when few rows match (a search, a rare
filter), the database expects to find 25 soon and may walk the whole table instead. With at
most COUNT_CAP matches their ids are known already, so the page is read among them
(`… AND id IN (those ids) ORDER BY … LIMIT 25`: at most COUNT_CAP rows sorted); with more,
matches are common enough that the walk ends soon.
"""

import math

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet, Subquery
from django.utils.functional import cached_property

COUNT_CAP = 1000


def capped_count(object_list, cap: int | None = None) -> tuple[int, bool]:
    """How many rows `object_list` (a queryset or a list) has, counted up to `cap`
    (COUNT_CAP by default), and whether more than that match."""
    cap = COUNT_CAP if cap is None else cap
    if isinstance(object_list, QuerySet):
        # No ORDER BY: any cap + 1 matches will do, so the database may stop at the first
        # ones it finds by whatever index suits the filter.
        counted = object_list.order_by().values("pk")[: cap + 1].count()
    else:
        counted = len(object_list)
    return min(counted, cap), counted > cap


class CappedPaginator(Paginator):
    """A Django Paginator whose count stops at `cap`.

    Up to `cap` matches it gives what Django's Paginator gives. Beyond, `count_is_capped` is
    True, `count` is `cap`, and the number of pages is not known: `num_pages` is the
    furthest page known to exist (at least the pages the cap fills, more once a later page
    was read), any page number can be asked for, and a page past the end raises EmptyPage
    (`get_page` then gives the first page, the last one being unknown)."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, cap=None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.cap = COUNT_CAP if cap is None else cap
        self._furthest_page = 0

    @cached_property
    def _first_ids(self) -> list | None:
        """The ids of up to cap + 1 matches, in no particular order (None for a list)."""
        if not isinstance(self.object_list, QuerySet):
            return None
        return list(self.object_list.order_by().values_list("pk", flat=True)[: self.cap + 1])

    @cached_property
    def _counted(self) -> int:
        """The matches, counted up to cap + 1."""
        if self._first_ids is None:
            return min(len(self.object_list), self.cap + 1)
        return len(self._first_ids)

    @property
    def count_is_capped(self) -> bool:
        return self._counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def num_pages(self) -> int:
        if not self.count_is_capped:
            return super().num_pages
        return max(math.ceil(self.cap / self.per_page), self._furthest_page)

    def validate_number(self, number) -> int:
        if not self.count_is_capped:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def _rows(self, bottom: int, top: int):
        """Rows `bottom` to `top` of the list, in its order. For a queryset, the page's ids are
        chosen first — by the order's index alone, among the counted ids when they are all
        the matches — and only those rows are then read with their joins and annotations
        (a customer's ticket counts): the rows skipped to reach a page are never joined or
        counted."""
        if self._first_ids is None or not isinstance(self.object_list, QuerySet):  # a list
            return self.object_list[bottom:top]
        matches = self.object_list
        if not self.count_is_capped:
            matches = matches.filter(pk__in=self._first_ids)
        page_ids = matches.values("pk")[bottom:top]
        return self.object_list.filter(pk__in=Subquery(page_ids))

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.count_is_capped:
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return self._get_page(self._rows(bottom, top), number, self)  # type: ignore[attr-defined]  # Paginator._get_page: private, not in django-stubs
        rows = list(self._rows(bottom, bottom + self.per_page + 1))
        if not rows:
            raise EmptyPage(self.error_messages["no_results"])
        has_next = len(rows) > self.per_page
        self._furthest_page = max(self._furthest_page, number + int(has_next))
        return CappedPage(rows[: self.per_page], number, self, has_next=has_next)

    def get_page(self, number) -> Page:
        if not self.count_is_capped:
            return super().get_page(number)
        try:
            return self.page(number)
        except (PageNotAnInteger, EmptyPage):
            return self.page(1)


class CappedPage(Page):
    """A page of a list whose count was capped: whether a next page exists was read with the
    page (one row more), not computed from the count."""

    def __init__(self, object_list, number, paginator, *, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)
