"""The staff's article form: both languages side by side, the section and the slug."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Section
from .services import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, ArticleContent


class ArticleForm(forms.Form):
    section = forms.ModelChoiceField(
        label=_("Section"), queryset=Section.objects.select_related("category")
    )
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=120,
        required=False,
        help_text=_("The end of the article's address; left empty, made from the title."),
    )
    title_es = forms.CharField(
        label=_("Title (Spanish)"), max_length=TITLE_MAX_LENGTH, required=False
    )
    body_es = forms.CharField(
        label=_("Text (Spanish, Markdown)"),
        max_length=BODY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    title_en = forms.CharField(
        label=_("Title (English)"), max_length=TITLE_MAX_LENGTH, required=False
    )
    body_en = forms.CharField(
        label=_("Text (English, Markdown)"),
        max_length=BODY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )

    # The version the editor started from (the edit page): a save after someone else's is
    # refused instead of overwriting it (services.update_article).
    version = forms.IntegerField(
        required=False, min_value=0, max_value=2_147_483_647, widget=forms.HiddenInput
    )

    def content(self) -> ArticleContent:
        data: dict[str, Any] = self.cleaned_data
        return ArticleContent(
            section=data["section"],
            slug=data.get("slug") or "",
            title_es=data.get("title_es") or "",
            body_es=data.get("body_es") or "",
            title_en=data.get("title_en") or "",
            body_en=data.get("body_en") or "",
        )


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Image (PNG, JPEG, GIF or WebP, up to 5 MB)"))
