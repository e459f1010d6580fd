"""Categories and sections of the help centre, kept by admins in the Django admin
(docs/knowledge.md). Articles are written in the staff pages (/knowledge/), where the services
keep their versions and rendered HTML: the admin lists them read-only."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Article, Category, Section

# The admin's classes are generic in django-stubs only.
if TYPE_CHECKING:
    SectionInlineBase = admin.TabularInline[Section, Category]
    CategoryAdminBase = admin.ModelAdmin[Category]
    SectionAdminBase = admin.ModelAdmin[Section]
    ArticleAdminBase = admin.ModelAdmin[Article]
else:
    SectionInlineBase = admin.TabularInline
    CategoryAdminBase = SectionAdminBase = ArticleAdminBase = admin.ModelAdmin


class SectionInline(SectionInlineBase):
    model = Section
    extra = 0
    fields = ("slug", "name_es", "name_en", "position")


@admin.register(Category)
class CategoryAdmin(CategoryAdminBase):
    list_display = ("slug", "name_es", "name_en", "position")
    prepopulated_fields = {"slug": ("name_es",)}
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(SectionAdminBase):
    list_display = ("slug", "category", "name_es", "name_en", "position")
    list_filter = ("category",)


@admin.register(Article)
class ArticleAdmin(ArticleAdminBase):
    list_display = ("slug", "title_es", "title_en", "status", "section", "updated_at")
    list_filter = ("status", "section__category")
    search_fields = ("slug", "title_es", "title_en")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
