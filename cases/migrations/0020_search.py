import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

# The full-text search (docs/search.md). PostgreSQL only, and outside the models' state like
# the trigram indexes of migration 0011: SQLite has none of it (the search reads the tickets'
# own text there, cases/search.py) and Django would drop triggers whenever it remakes a table.
#
# - `pulso`, a text search configuration: the words of any language, accents and case folded
#   (`unaccent`, then `simple`), neither stemmed nor stop-listed — a desk writes Spanish and
#   English side by side, and one language's stemmer mangles the other's words. The search
#   matches a word by its beginning instead (`factura` finds `facturas`, `facturación`).
# - `pulso_search_text`: what the parser reads. The characters that join words into e-mails,
#   hosts, paths and references (`lucia.torres@example.com`, `PUL-000123`) become spaces, so
#   each part is a word of its own, as cases/search.py splits what people type.
# - `pulso_search_vector`: a ticket's document, weighted: A its id (the reference's number)
#   and subject, B its customer's name and e-mail and its description, C its replies and notes.
# - `pulso_search_refresh(ids, create)`: rewrites the documents of those tickets (and writes
#   the missing ones when `create`), one set-based statement.
# - Triggers, in the transaction of every change, whoever makes it: a new ticket (one
#   statement per INSERT or COPY, the rows it added as a transition table); a ticket's subject,
#   description or customer changed; new replies (their words appended, without reading the
#   others again); replies changed, moved (a merge) or deleted; a customer renamed. A change
#   that deletes never writes a document back: a ticket being deleted loses its document
#   with it.

UNACCENT = "CREATE EXTENSION IF NOT EXISTS unaccent"

CONFIGURATION = """
CREATE TEXT SEARCH CONFIGURATION pulso (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION pulso
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part,
        numword, numhword, hword_numpart
    WITH unaccent, simple;
"""

FUNCTIONS = r"""
CREATE FUNCTION pulso_search_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT translate(coalesce(value, ''), '@.-_/\:+', '        ')
$$;

CREATE FUNCTION pulso_search_vector(
    ticket_id bigint, subject text, description text, customer_name text,
    customer_email text, messages text
) RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('pulso',
               ticket_id::text || ' ' || pulso_search_text(subject)), 'A')
        || setweight(to_tsvector('pulso', pulso_search_text(
               coalesce(customer_name, '') || ' ' || coalesce(customer_email, '') || ' '
               || coalesce(description, ''))), 'B')
        || setweight(to_tsvector('pulso', pulso_search_text(messages)), 'C')
$$;

CREATE FUNCTION pulso_search_refresh(ids bigint[], create_missing boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF create_missing THEN
        INSERT INTO cases_ticketsearchdocument (ticket_id, vector)
        SELECT t.id, pulso_search_vector(
            t.id, t.subject, t.description, c.name, c.email,
            (SELECT string_agg(r.body, E'\n' ORDER BY r.created_at, r.id)
             FROM cases_reply r WHERE r.ticket_id = t.id))
        FROM cases_ticket t JOIN cases_customer c ON c.id = t.customer_id
        WHERE t.id = ANY(ids)
        ON CONFLICT (ticket_id) DO UPDATE SET vector = EXCLUDED.vector;
    ELSE
        UPDATE cases_ticketsearchdocument d SET vector = pulso_search_vector(
            t.id, t.subject, t.description, c.name, c.email,
            (SELECT string_agg(r.body, E'\n' ORDER BY r.created_at, r.id)
             FROM cases_reply r WHERE r.ticket_id = t.id))
        FROM cases_ticket t JOIN cases_customer c ON c.id = t.customer_id
        WHERE d.ticket_id = t.id AND t.id = ANY(ids);
    END IF;
END
$$;

CREATE FUNCTION pulso_search_tickets_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pulso_search_refresh(ARRAY(SELECT id FROM added), true);
    RETURN NULL;
END
$$;

CREATE FUNCTION pulso_search_ticket_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pulso_search_refresh(ARRAY[NEW.id], true);
    RETURN NULL;
END
$$;

CREATE FUNCTION pulso_search_replies_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases_ticketsearchdocument d SET vector = d.vector || words.vector
    FROM (
        SELECT ticket_id, setweight(to_tsvector('pulso', pulso_search_text(
                   string_agg(body, E'\n' ORDER BY created_at, id))), 'C') AS vector
        FROM added GROUP BY ticket_id
    ) words
    WHERE d.ticket_id = words.ticket_id;
    -- A ticket written while the triggers were off (seed_bench) gets its whole document.
    PERFORM pulso_search_refresh(ARRAY(
        SELECT DISTINCT a.ticket_id FROM added a
        WHERE NOT EXISTS (
            SELECT 1 FROM cases_ticketsearchdocument d WHERE d.ticket_id = a.ticket_id)
    ), true);
    RETURN NULL;
END
$$;

CREATE FUNCTION pulso_search_replies_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pulso_search_refresh(ARRAY(
        SELECT b.ticket_id FROM before b JOIN after a ON a.id = b.id
        WHERE a.ticket_id IS DISTINCT FROM b.ticket_id OR a.body IS DISTINCT FROM b.body
        UNION
        SELECT a.ticket_id FROM before b JOIN after a ON a.id = b.id
        WHERE a.ticket_id IS DISTINCT FROM b.ticket_id OR a.body IS DISTINCT FROM b.body
    ), false);
    RETURN NULL;
END
$$;

CREATE FUNCTION pulso_search_replies_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pulso_search_refresh(ARRAY(SELECT DISTINCT ticket_id FROM removed), false);
    RETURN NULL;
END
$$;

CREATE FUNCTION pulso_search_customer_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pulso_search_refresh(
        ARRAY(SELECT id FROM cases_ticket WHERE customer_id = NEW.id), true);
    RETURN NULL;
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER pulso_search_tickets_added AFTER INSERT ON cases_ticket
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION pulso_search_tickets_added();
CREATE TRIGGER pulso_search_ticket_changed AFTER UPDATE OF subject, description, customer_id
    ON cases_ticket FOR EACH ROW
    WHEN (OLD.subject IS DISTINCT FROM NEW.subject
          OR OLD.description IS DISTINCT FROM NEW.description
          OR OLD.customer_id IS DISTINCT FROM NEW.customer_id)
    EXECUTE FUNCTION pulso_search_ticket_changed();
CREATE TRIGGER pulso_search_replies_added AFTER INSERT ON cases_reply
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION pulso_search_replies_added();
CREATE TRIGGER pulso_search_replies_changed AFTER UPDATE ON cases_reply
    REFERENCING OLD TABLE AS before NEW TABLE AS after
    FOR EACH STATEMENT EXECUTE FUNCTION pulso_search_replies_changed();
CREATE TRIGGER pulso_search_replies_removed AFTER DELETE ON cases_reply
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION pulso_search_replies_removed();
CREATE TRIGGER pulso_search_customer_changed AFTER UPDATE OF name, email ON cases_customer
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION pulso_search_customer_changed();
"""

# Every ticket's document in one statement: the replies aggregated per ticket in one pass
# (GROUP BY over the reply index's order), not a query per ticket. Then the index, built
# once over the whole table rather than entry by entry.
BACKFILL = """
INSERT INTO cases_ticketsearchdocument (ticket_id, vector)
SELECT t.id, pulso_search_vector(t.id, t.subject, t.description, c.name, c.email, m.messages)
FROM cases_ticket t
JOIN cases_customer c ON c.id = t.customer_id
LEFT JOIN (
    SELECT ticket_id, string_agg(body, E'\\n' ORDER BY created_at, id) AS messages
    FROM cases_reply GROUP BY ticket_id
) m ON m.ticket_id = t.id
ON CONFLICT (ticket_id) DO UPDATE SET vector = EXCLUDED.vector
"""

INDEX = (
    "CREATE INDEX IF NOT EXISTS ticket_search_vector "
    "ON cases_ticketsearchdocument USING gin (vector)"
)

# How many tickets hold a word, the planner reads from the column's statistics: its most
# common words and their frequencies, and for any other word half the least frequent one's.
# With 1 000 words (the default keeps a tenth) a rare word is expected in ~700 tickets of a
# million rather than ~4 000, and its few are read from the index without starting parallel
# workers (bench_search.py: the rare word's statements 40 → 12 ms). ANALYZE takes ~4 s there.
STATISTICS = "ALTER TABLE cases_ticketsearchdocument ALTER COLUMN vector SET STATISTICS 1000"

UNDO = """
DROP TRIGGER IF EXISTS pulso_search_tickets_added ON cases_ticket;
DROP TRIGGER IF EXISTS pulso_search_ticket_changed ON cases_ticket;
DROP TRIGGER IF EXISTS pulso_search_replies_added ON cases_reply;
DROP TRIGGER IF EXISTS pulso_search_replies_changed ON cases_reply;
DROP TRIGGER IF EXISTS pulso_search_replies_removed ON cases_reply;
DROP TRIGGER IF EXISTS pulso_search_customer_changed ON cases_customer;
DROP FUNCTION IF EXISTS pulso_search_tickets_added();
DROP FUNCTION IF EXISTS pulso_search_ticket_changed();
DROP FUNCTION IF EXISTS pulso_search_replies_added();
DROP FUNCTION IF EXISTS pulso_search_replies_changed();
DROP FUNCTION IF EXISTS pulso_search_replies_removed();
DROP FUNCTION IF EXISTS pulso_search_customer_changed();
DROP FUNCTION IF EXISTS pulso_search_refresh(bigint[], boolean);
DROP FUNCTION IF EXISTS pulso_search_vector(bigint, text, text, text, text, text);
DROP FUNCTION IF EXISTS pulso_search_text(text);
DROP TEXT SEARCH CONFIGURATION IF EXISTS pulso;
"""


def create_search(apps, schema_editor):
    """The configuration, functions and triggers, every existing ticket's document (a large
    desk: a few minutes per million tickets, during which tickets cannot be written), the
    GIN index, and the statistics the planner estimates a word's tickets from."""
    if schema_editor.connection.vendor != "postgresql":
        return
    # A trusted extension (PostgreSQL 13+): the database's owner may create it. Going back
    # leaves it installed; something else may use it.
    schema_editor.execute(UNACCENT)
    schema_editor.execute(CONFIGURATION)
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(TRIGGERS)
    schema_editor.execute(BACKFILL)
    # The new rows' foreign-key checks, deferred to the commit, would forbid the index.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")
    schema_editor.execute("SELECT set_config('maintenance_work_mem', '512MB', true)")
    schema_editor.execute(INDEX)
    schema_editor.execute(STATISTICS)
    schema_editor.execute("ANALYZE cases_ticketsearchdocument")


def drop_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS ticket_search_vector")
    schema_editor.execute(UNDO)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0019_saved_views"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketSearchDocument",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="cases.ticket",
                        verbose_name="ticket",
                    ),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField(null=True)),
            ],
            options={
                "verbose_name": "ticket search document",
                "verbose_name_plural": "ticket search documents",
            },
        ),
        migrations.RunPython(create_search, drop_search, elidable=False),
    ]
