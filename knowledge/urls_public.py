"""The public help centre, mounted at /help/ (docs/knowledge.md)."""

from django.urls import path

from .views import public, suggest

app_name = "help"

urlpatterns = [
    path("", public.help_home, name="home"),
    path("search/", public.help_search, name="search"),
    path("search/<str:token>/<slug:slug>/", public.open_result, name="open_result"),
    path("suggest/", suggest.suggest, name="suggest"),
    path("suggested/<str:token>/<slug:slug>/", suggest.open_suggestion, name="open_suggestion"),
    path("articles/<slug:slug>/", public.help_article, name="article"),
    path("articles/<slug:slug>/vote/", public.help_vote, name="vote"),
    path("images/<str:token>/", public.help_image, name="image"),
    path("categories/<slug:category>/", public.help_category, name="category"),
    path("categories/<slug:category>/<slug:section>/", public.help_section, name="section"),
]
