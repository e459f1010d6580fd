"""The staff's knowledge base, mounted at /knowledge/ (docs/knowledge.md)."""

from django.urls import path

from .views import staff

app_name = "knowledge"

urlpatterns = [
    path("", staff.article_list, name="list"),
    path("new/", staff.article_create, name="create"),
    path("preview/", staff.article_preview, name="preview"),
    path("<int:pk>/", staff.article_edit, name="edit"),
    path("<int:pk>/status/", staff.article_status, name="status"),
    path("<int:pk>/images/", staff.image_upload, name="image_upload"),
    path("<int:pk>/history/", staff.article_history, name="history"),
    path("<int:pk>/history/<int:number>/restore/", staff.version_restore, name="restore"),
]
