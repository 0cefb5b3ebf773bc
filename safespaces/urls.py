from django.contrib import admin
from django.urls import include, path

from safespaces import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("exit/", views.quick_exit, name="quick_exit"),
    path("", include("safespaces.accounts.urls")),
    path("audit/", include("safespaces.audit.urls")),
    path("people/", include("safespaces.people.urls")),
    path("places/", include("safespaces.places.urls")),
    path("notifications/", include("safespaces.notifications.urls")),
    path("allies/", include("allies.urls")),
    path("incidents/", include("incidents.urls")),
    path("risks/", include("riskassessment.urls")),
    path("checkins/", include("checkins.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "safespaces.views.error_400"
handler403 = "safespaces.views.error_403"
