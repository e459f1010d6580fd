"""The knowledge base's API, mounted under /api/v1/ by config/urls_api.py."""

from django.urls import path

from . import api, api_self_service

app_name = "knowledge-api"

urlpatterns = [
    path("help/articles/", api.HelpArticleListApi.as_view(), name="help-article-list"),
    path(
        "help/articles/<str:key>/", api.HelpArticleDetailApi.as_view(), name="help-article-detail"
    ),
    path(
        "knowledge/self-service/",
        api_self_service.SelfServiceApi.as_view(),
        name="knowledge-self-service",
    ),
    path(
        "knowledge/articles/", api.KnowledgeArticleListApi.as_view(), name="knowledge-article-list"
    ),
    path(
        "knowledge/articles/<int:id>/",
        api.KnowledgeArticleDetailApi.as_view(),
        name="knowledge-article-detail",
    ),
    path(
        "knowledge/articles/<int:id>/status/",
        api.KnowledgeArticleStatusApi.as_view(),
        name="knowledge-article-status",
    ),
    path(
        "knowledge/articles/<int:id>/versions/",
        api.KnowledgeArticleVersionsApi.as_view(),
        name="knowledge-article-versions",
    ),
    path(
        "knowledge/articles/<int:id>/versions/<int:number>/restore/",
        api.KnowledgeArticleRestoreApi.as_view(),
        name="knowledge-article-restore",
    ),
]
