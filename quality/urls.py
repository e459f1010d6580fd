"""Quality's pages, mounted at /quality/ (docs/quality.md): reviews, coaching, problems."""

from .urls_coaching import urlpatterns as coaching
from .urls_problems import urlpatterns as problems
from .urls_reviews import urlpatterns as reviews

app_name = "quality"

urlpatterns = [*reviews, *coaching, *problems]
