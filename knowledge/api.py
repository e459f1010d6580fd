"""The knowledge base's API (docs/knowledge.md).

- `/api/v1/help/articles/`: public, read-only, published articles only (no sign-in): a
  list with `?q=` search and `?language=`, and one article by slug or id.
- `/api/v1/knowledge/articles/`: staff, under the services' rules (agents draft, managers
  and admins publish and change what is published): list, create, read, change, delete,
  status, versions and restore."""

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import (
    JSON_ONLY,
    IdField,
    PulsoAutoSchema,
    StaffApi,
    StaffListApi,
    StrictInputSerializer,
    UserRefOutput,
    error_responses,
)
from cases.api.pagination import PagePagination
from cases.models import User

from . import services
from .api_agent import ArticleSentOutput, sent_data
from .models import Article, Section, Status, in_language
from .search import QUERY_MAX_LENGTH, HelpSearch, search
from .selectors import article_by_slug_or_id, articles_for_staff, public_articles, versions_of

LANGUAGE_CHOICES = [("es", _("Spanish")), ("en", _("English"))]


class PlaceOutput(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()


class HelpArticleOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        help_text=_("The language shown: the one asked for, else the other one."),
    )
    languages = serializers.ListField(
        child=serializers.CharField(), help_text=_("Languages the article is written in.")
    )
    title = serializers.CharField()
    url = serializers.CharField(help_text=_("The article's page in the help centre."))
    category = PlaceOutput()
    section = PlaceOutput()
    updated_at = serializers.DateTimeField()


class HelpArticleDetailOutput(HelpArticleOutput):
    html = serializers.CharField(help_text=_("The text as sanitised HTML."))


def _help_row(article: Article, language: str, *, html: bool = False) -> dict[str, Any]:
    title, shown = in_language(article, "title", language)
    section = article.section
    row: dict[str, Any] = {
        "id": article.pk,
        "slug": article.slug,
        "language": shown,
        "languages": article.languages(),
        "title": title,
        "url": f"/help/articles/{article.slug}/",
        "category": {"slug": section.category.slug, "name": section.category.name_in(language)},
        "section": {"slug": section.slug, "name": section.name_in(language)},
        "updated_at": article.updated_at,
    }
    if html:
        row["html"] = article.html_es if shown == "es" else article.html_en
    return row


class HelpQuery(serializers.Serializer[Any]):
    q = serializers.CharField(required=False, allow_blank=True, max_length=QUERY_MAX_LENGTH)
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False)


def _language(request: Request, query: dict[str, Any]) -> str:
    return str(query.get("language") or (translation.get_language() or "es")[:2])


Q_PARAMETER = OpenApiParameter(
    "q", str, description=_("Words to search for in titles and texts, accents ignored.")
)
LANGUAGE_PARAMETER = OpenApiParameter(
    "language",
    str,
    enum=["es", "en"],
    description=_("The language wanted (default: the request's)."),
)


class HelpArticleListApi(GenericAPIView[Article]):
    """Published articles, newest first, or the best matches of `q` first."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = JSON_ONLY
    pagination_class = PagePagination
    queryset = Article.objects.none()  # the schema's model; get() reads public_articles()
    schema = PulsoAutoSchema()

    @extend_schema(
        operation_id="help_articles_list",
        parameters=[Q_PARAMETER, LANGUAGE_PARAMETER],
        responses={
            200: HelpArticleOutput(many=True),
            **error_responses(400, 429, authenticated=False),
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        params = HelpQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        language = _language(request, query)
        articles = public_articles()
        text = query.get("q") or ""
        if text.strip():
            if is_ratelimited(
                request._request,
                group="knowledge.help_search",
                key="ip",
                rate=lambda group, r: settings.HELP_SEARCH_RATE,
                increment=True,
            ):
                raise Throttled(wait=60)
            articles = search(articles, HelpSearch.parse(text))
        page = self.paginate_queryset(articles)
        assert page is not None  # pagination_class is set
        return self.get_paginated_response([_help_row(a, language) for a in page])


class HelpArticleDetailApi(GenericAPIView[Article]):
    """One published article by slug or id, with its HTML."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = JSON_ONLY
    schema = PulsoAutoSchema()

    @extend_schema(
        operation_id="help_articles_retrieve",
        parameters=[LANGUAGE_PARAMETER],
        responses={200: HelpArticleDetailOutput, **error_responses(400, 404, authenticated=False)},
        auth=[],
    )
    def get(self, request: Request, key: str) -> Response:
        params = HelpQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        article = article_by_slug_or_id(public_articles(), key)
        if article is None:
            raise NotFound
        return Response(_help_row(article, _language(request, params.validated_data), html=True))


# --- staff ------------------------------------------------------------------------------------


class KnowledgeArticleOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    section = serializers.IntegerField(source="section_id")
    author = UserRefOutput()
    title_es = serializers.CharField()
    body_es = serializers.CharField(help_text=_("Markdown."))
    html_es = serializers.CharField(help_text=_("The Spanish text as sanitised HTML."))
    title_en = serializers.CharField()
    body_en = serializers.CharField(help_text=_("Markdown."))
    html_en = serializers.CharField(help_text=_("The English text as sanitised HTML."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)


class KnowledgeArticleDetailOutput(KnowledgeArticleOutput):
    version = serializers.IntegerField(
        help_text=_("Its newest version's number: send it back in PATCH's `version`.")
    )
    sent = ArticleSentOutput(
        help_text=_("Tickets where agents sent it, and their CSAT % (docs/knowledge.md).")
    )


class VersionOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    changed_by = UserRefOutput()
    changed_at = serializers.DateTimeField()
    summary = serializers.CharField(
        source="describe", help_text=_("What changed, in the request's language.")
    )
    change = serializers.JSONField(
        help_text=_(
            'What changed, without words: {"kind": "created" | "edited" | "status" | '
            '"restored"} with "fields", "status" or "from" ({} for older versions).'
        )
    )
    status = serializers.ChoiceField(choices=Status.choices)
    section = serializers.IntegerField(source="section_id")
    slug = serializers.CharField()
    title_es = serializers.CharField()
    body_es = serializers.CharField()
    title_en = serializers.CharField()
    body_en = serializers.CharField()


class ArticleInput(StrictInputSerializer):
    section = IdField(queryset=Section.objects.all())  # type: ignore[no-untyped-call]  # common.py is checked at the default level
    slug = serializers.CharField(required=False, allow_blank=True, max_length=120)
    title_es = serializers.CharField(required=False, allow_blank=True, max_length=200)
    body_es = serializers.CharField(
        required=False, allow_blank=True, max_length=services.BODY_MAX_LENGTH
    )
    title_en = serializers.CharField(required=False, allow_blank=True, max_length=200)
    body_en = serializers.CharField(
        required=False, allow_blank=True, max_length=services.BODY_MAX_LENGTH
    )
    unknown_field_hints = {
        "status": _("The status changes through POST …/status/ (managers and admins).")
    }


class ArticlePatchInput(ArticleInput):
    section = IdField(queryset=Section.objects.all(), required=False)  # type: ignore[no-untyped-call]  # as above
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2_147_483_647,
        help_text=_(
            "The version you read (…/versions/): if someone saved another since, 409 and "
            "nothing is written."
        ),
    )


class StatusInput(StrictInputSerializer):
    status = serializers.ChoiceField(choices=Status.choices)


def _staff(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsStaff let only people with a role in
    return user


def _content(data: dict[str, Any], article: Article | None = None) -> services.ArticleContent:
    def value(name: str) -> Any:
        if name in data:
            return data[name] or ""
        return getattr(article, name) if article is not None else ""

    return services.ArticleContent(
        section=data.get("section") or article.section,  # type: ignore[union-attr]  # required on create
        slug=value("slug"),
        title_es=value("title_es"),
        body_es=value("body_es"),
        title_en=value("title_en"),
        body_en=value("body_en"),
    )


class KnowledgeArticleListApi(StaffListApi):
    """Every article (drafts and internal ones too), newest change first; `status` and `q`
    narrow the list. POST writes a new draft."""

    filterset_class = None
    queryset = Article.objects.none()  # the schema's model; get() reads articles_for_staff()

    def get_queryset(self) -> Any:
        return articles_for_staff(_staff(self.request))

    @extend_schema(
        operation_id="knowledge_articles_list",
        parameters=[
            Q_PARAMETER,
            OpenApiParameter("status", str, enum=Status.values, description=_("Only this status.")),
        ],
        responses={200: KnowledgeArticleOutput(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        articles = self.get_queryset()
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in Status.values:
                return Response(
                    {"status": [str(_("Use draft, published or internal."))]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            articles = articles.filter(status=wanted)
        text = (request.query_params.get("q") or "")[:QUERY_MAX_LENGTH]
        if text.strip():
            articles = search(articles, HelpSearch.parse(text))
        page = self.paginate_queryset(articles)
        return self.get_paginated_response(KnowledgeArticleOutput(page, many=True).data)

    @extend_schema(
        operation_id="knowledge_articles_create",
        request=ArticleInput,
        responses={201: KnowledgeArticleOutput, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        serializer = ArticleInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.create_article(
            by=_staff(request), content=_content(serializer.validated_data)
        )
        return Response(KnowledgeArticleOutput(article).data, status=status.HTTP_201_CREATED)


def _staff_article(request: Request, id: int) -> Article:
    return get_object_or_404(articles_for_staff(_staff(request)), pk=id)


class KnowledgeArticleDetailApi(StaffApi):
    """One article; PATCH changes its text, section or slug (a version records it); DELETE
    removes it (managers and admins; an agent their own draft)."""

    @extend_schema(
        operation_id="knowledge_articles_retrieve",
        responses={200: KnowledgeArticleDetailOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        article = _staff_article(request, id)
        data = {
            **KnowledgeArticleOutput(article).data,
            "version": services.latest_version(article),
            "sent": sent_data(article, _staff(request)),
        }
        return Response(data)

    @extend_schema(
        operation_id="knowledge_articles_update",
        request=ArticlePatchInput,
        responses={200: KnowledgeArticleOutput, **error_responses(400, 404, 409)},
    )
    def patch(self, request: Request, id: int) -> Response:
        article = _staff_article(request, id)
        serializer = ArticlePatchInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.update_article(
            article=article,
            by=_staff(request),
            content=_content(serializer.validated_data, article),
            based_on=serializer.validated_data.get("version"),
        )
        return Response(KnowledgeArticleOutput(article).data)

    @extend_schema(
        operation_id="knowledge_articles_destroy",
        request=None,
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, id: int) -> Response:
        services.delete_article(article=_staff_article(request, id), by=_staff(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class KnowledgeArticleStatusApi(StaffApi):
    """Publish, unpublish (draft) or mark internal: managers and admins."""

    @extend_schema(
        operation_id="knowledge_articles_status",
        request=StatusInput,
        responses={200: KnowledgeArticleOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        article = _staff_article(request, id)
        serializer = StatusInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.set_article_status(
            article=article, by=_staff(request), status=serializer.validated_data["status"]
        )
        return Response(KnowledgeArticleOutput(article).data)


class KnowledgeArticleVersionsApi(StaffApi):
    """The article's versions, newest first: who changed what, when, and the text then."""

    @extend_schema(
        operation_id="knowledge_articles_versions",
        responses={200: VersionOutput(many=True), **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        article = _staff_article(request, id)
        return Response(VersionOutput(versions_of(article), many=True).data)


class KnowledgeArticleRestoreApi(StaffApi):
    """An earlier version's text, section and slug back in the article; a new version."""

    @extend_schema(
        operation_id="knowledge_articles_restore",
        request=None,
        responses={200: KnowledgeArticleOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request, id: int, number: int) -> Response:
        article = _staff_article(request, id)
        version = get_object_or_404(article.versions, number=number)
        article = services.restore_version(article=article, version=version, by=_staff(request))
        return Response(KnowledgeArticleOutput(article).data)
