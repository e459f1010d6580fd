# The web form's deflection (visits, the articles they were shown) and article views per day.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_sqlite_search_words")]

    operations = [
        migrations.CreateModel(
            name="DeflectionVisit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=64, unique=True)),
                ("language", models.CharField(max_length=2)),
                (
                    "started_at",
                    models.DateTimeField(db_index=True, verbose_name="suggestions first shown"),
                ),
                (
                    "first_opened_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="first suggestion opened"
                    ),
                ),
                (
                    "submitted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="form submitted"),
                ),
            ],
            options={
                "verbose_name": "web-form visit",
                "verbose_name_plural": "web-form visits",
            },
        ),
        migrations.CreateModel(
            name="ArticleView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(db_index=True)),
                ("views", models.PositiveIntegerField(default=0)),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="knowledge.article",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("article", "day"), name="article_view_per_day")
                ],
            },
        ),
        migrations.CreateModel(
            name="DeflectionShown",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("shown_at", models.DateTimeField()),
                ("opened_at", models.DateTimeField(blank=True, null=True)),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="knowledge.article",
                    ),
                ),
                (
                    "visit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="shown",
                        to="knowledge.deflectionvisit",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("visit", "article"), name="deflection_shown_once"
                    )
                ],
            },
        ),
    ]
