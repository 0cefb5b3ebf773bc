from django.urls import path

from safespaces.people import views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("pick/", views.person_pick, name="pick"),
    path("export.csv", views.person_export, name="export"),
    path("erasures/", views.erasure_list, name="erasures"),
    path("erasures/<uuid:code>/approve/", views.erasure_approve, name="erasure_approve"),
    path("erasures/<uuid:code>/cancel/", views.erasure_cancel, name="erasure_cancel"),
    path("grants/", views.grant_list, name="grants"),
    path("grants/<uuid:code>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("<uuid:code>/", views.person_detail, name="detail"),
    path("<uuid:code>/reveal/", views.person_reveal, name="reveal"),
    path("<uuid:code>/edit/", views.person_edit, name="edit"),
    path("<uuid:code>/archive/", views.person_archive, name="archive"),
    path("<uuid:code>/access/", views.access_report, name="access_report"),
    path("<uuid:code>/erase/", views.person_erase, name="erase"),
]
