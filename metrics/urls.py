from django.urls import path

from . import views, views_experience

app_name = "metrics"

urlpatterns = [
    path("metrics/", views.dashboard, name="dashboard"),
    path("metrics/me/", views.my_dashboard, name="my_dashboard"),
    path("metrics/why/", views.why, name="why"),
    path("metrics/me/why/", views.my_why, name="my_why"),
    path("metrics/export/<slug:table>.csv", views.export, name="export"),
    path(
        "metrics/customers/<int:pk>/experience/",
        views_experience.customer_experience_panel,
        name="customer_experience",
    ),
    path(
        "metrics/organisations/<int:pk>/experience/",
        views_experience.organisation_experience_panel,
        name="organisation_experience",
    ),
]
