"""The admin's article list names each article's section with its category (Section's
__str__): read with the rows, so the page's queries do not grow with the articles."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge.models import Category, Section


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("admin:knowledge_article_changelist"))
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_article_list_reads_sections_with_their_categories(client, adrian, write):
    client.force_login(adrian)
    for number in range(2):
        category = Category.objects.create(slug=f"c{number}", name_es=f"Categoría {number}")
        section = Section.objects.create(category=category, slug=f"s{number}", name_es="S")
        write(slug=f"a{number}", section=section, title_es=f"Artículo {number}")
    few = _queries(client)
    for number in range(2, 8):
        category = Category.objects.create(slug=f"c{number}", name_es=f"Categoría {number}")
        section = Section.objects.create(category=category, slug=f"s{number}", name_es="S")
        write(slug=f"a{number}", section=section, title_es=f"Artículo {number}")
    assert _queries(client) == few
