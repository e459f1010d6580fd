from django.db import migrations

# The help-centre search on PostgreSQL (knowledge/search.py, docs/knowledge.md): each
# article's words in `search_vector`, written by a trigger in the same statement as the
# article, whoever writes it (the services, a bulk load), folded by the `pulso` text search
# configuration of cases migration 0020 (unaccent + simple: Spanish and English side by
# side, no stemming). Titles weigh A, bodies B, so ts_rank puts a title match first. The GIN
# index is outside the models' state, as the ticket search's: SQLite has none of it.

FUNCTION = r"""
CREATE FUNCTION knowledge_article_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('pulso', pulso_search_text(
            coalesce(NEW.title_es, '') || ' ' || coalesce(NEW.title_en, ''))), 'A')
        || setweight(to_tsvector('pulso', pulso_search_text(
            coalesce(NEW.body_es, '') || ' ' || coalesce(NEW.body_en, ''))), 'B');
    RETURN NEW;
END
$$;
CREATE TRIGGER knowledge_article_vector
    BEFORE INSERT OR UPDATE OF title_es, title_en, body_es, body_en, search_vector
    ON knowledge_article FOR EACH ROW EXECUTE FUNCTION knowledge_article_vector();
UPDATE knowledge_article SET title_es = title_es;
CREATE INDEX knowledge_article_search ON knowledge_article USING gin (search_vector);
"""

UNDO = """
DROP INDEX IF EXISTS knowledge_article_search;
DROP TRIGGER IF EXISTS knowledge_article_vector ON knowledge_article;
DROP FUNCTION IF EXISTS knowledge_article_vector();
"""


def create_search(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop_search(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("cases", "0020_search"),
    ]

    operations = [migrations.RunPython(create_search, drop_search, elidable=False)]
