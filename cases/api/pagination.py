"""Page-number pagination of every API list. Its own module: DRF's settings import it while
`rest_framework.generics` is still loading, so it must not import the views."""

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from ..paginator import COUNT_CAP, CappedPaginator


class PagePagination(PageNumberPagination):
    """`page` from 1 (a page that does not exist is a 404, as in DRF); `page_size` from 1,
    larger than `max_page_size` gives `max_page_size`. Anything but digits is refused, where
    DRF would silently fall back to the defaults.

    `count` is counted up to COUNT_CAP, as on the web pages (`cases.paginator`): beyond, it
    is null ("more than COUNT_CAP"), never a wrong number; `next` and `previous` work as
    always, so a client that follows `next` reads every page."""

    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()  # `page=last` is not a number: the schema says page is an integer

    def get_paginated_response(self, data) -> Response:
        assert self.page is not None, "paginate_queryset() read the page"
        paginator = self.page.paginator
        assert isinstance(paginator, CappedPaginator)  # django_paginator_class
        return Response(
            {
                "count": None if paginator.count_is_capped else paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": gettext(
                "How many match, counted up to %(cap)d; null when more do (follow `next` to "
                "read them all)."
            )
            % {"cap": COUNT_CAP},
        }
        return response

    def get_page_size(self, request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _DIGITS.fullmatch(raw) or not raw.strip("0"):
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("A whole number from 1 is required.")]}
            )
        # Any number of digits: beyond nine it is over the maximum anyway (and int() refuses
        # thousands of digits).
        return min(int(raw) if len(raw) <= 9 else self.max_page_size, self.max_page_size)

    def get_page_number(self, request, paginator) -> str | int:
        number = request.query_params.get(self.page_query_param)
        if number is None:
            return 1
        if not _DIGITS.fullmatch(number):
            raise exceptions.NotFound(_("Invalid page."))
        return number

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": gettext(
                    "A page number, from 1. A page that does not exist is a 404."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": gettext(
                    "Results per page: %(default)d unless given, at most %(max)d (a larger number "
                    "gives %(max)d)."
                )
                % {"default": self.page_size, "max": self.max_page_size},
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


# Only ASCII digits: int() would also take " 7", "+7", "7_0" and other scripts' digits.
_DIGITS = re.compile(r"[0-9]+")
