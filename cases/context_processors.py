def pulso(request):
    user = getattr(request, "user", None)
    return {
        "site_name": "Pulso",
        "user_role": getattr(user, "role", None) if user and user.is_authenticated else None,
    }
