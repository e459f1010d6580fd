from django.shortcuts import render
from django.utils.translation import gettext as _


def rate_limited(request, exception=None):
    """django-ratelimit's view for a blocked request: a clear 429, nothing else."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": _("Too many requests. Try again later.")}, status=429)
    return render(request, "429.html", status=429)
