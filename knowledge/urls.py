"""The staff's knowledge base, mounted at /knowledge/ (docs/knowledge.md)."""

from django.urls import path

from .views import agent, self_service, staff

app_name = "knowledge"

urlpatterns = [
    path("", staff.article_list, name="list"),
    path("new/", staff.article_create, name="create"),
    path("preview/", staff.article_preview, name="preview"),
    path("self-service/", self_service.section, name="self_service"),
    path("<int:pk>/", staff.article_edit, name="edit"),
    path("<int:pk>/status/", staff.article_status, name="status"),
    path("<int:pk>/delete/", staff.article_delete, name="delete"),
    path("<int:pk>/images/", staff.image_upload, name="image_upload"),
    path("<int:pk>/history/", staff.article_history, name="history"),
    path("<int:pk>/history/<int:number>/restore/", staff.version_restore, name="restore"),
    # For agents (knowledge/views/agent.py): the ticket page loads these by their address.
    path("<int:pk>/sent/", agent.article_sent, name="sent"),
    path("tickets/<int:ticket_id>/articles/", agent.finder, name="agent_finder"),
    path("tickets/<int:ticket_id>/articles/insert/", agent.insert, name="agent_insert"),
    path("tickets/<int:ticket_id>/new-article/", agent.from_ticket, name="from_ticket"),
]
