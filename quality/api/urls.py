"""Quality's API, mounted under /api/v1/quality/ by config/urls_api.py."""

from .urls_coaching import urlpatterns as coaching
from .urls_problems import urlpatterns as problems
from .urls_reviews import urlpatterns as reviews

app_name = "quality-api"

urlpatterns = [*reviews, *coaching, *problems]
