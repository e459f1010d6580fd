from django.urls import path

from . import views

app_name = "metrics"

urlpatterns = [
    path("metrics/", views.dashboard, name="dashboard"),
    path("metrics/me/", views.my_dashboard, name="my_dashboard"),
    path("metrics/export/<slug:table>.csv", views.export, name="export"),
]
