from .models import Role


def pulso(request):
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user and user.is_authenticated else None
    return {
        "site_name": "Pulso",
        "user_role": role,
        # The role as the navigation bar shows it, in the visitor's language.
        "user_role_label": Role(role).label if role else "",
    }
