"""What OPTIONS answers on every API view. Its own module: DRF's settings import it while
`rest_framework.views` is still loading, so it must not import the views."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request


class PulsoMetadata(SimpleMetadata):
    """OPTIONS for every API view: DRF describes a view's POST/PUT body with
    `get_serializer()`, which our views do not have (each declares its `InputSerializer`), so
    this describes that serializer for each writing method the caller may use."""

    def determine_metadata(self, request, view) -> dict:
        metadata = {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }
        actions = self.determine_actions(request, view)
        if actions:
            metadata["actions"] = actions
        return metadata

    def determine_actions(self, request, view) -> dict:
        input_serializer = getattr(view, "InputSerializer", None)
        if input_serializer is None:
            return {}
        actions = {}
        for method in ("POST", "PUT", "PATCH"):
            if method not in view.allowed_methods:
                continue
            view.request = clone_request(request, method)
            try:
                view.check_permissions(view.request)
            except (exceptions.APIException, DjangoPermissionDenied, Http404):
                continue
            else:
                actions[method] = self.get_serializer_info(input_serializer())
            finally:
                view.request = request
        return actions
