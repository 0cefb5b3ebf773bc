from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("pick/", views.incident_pick, name="pick"),
    path("new/", views.incident_create, name="create"),
    path("new/draft/discard/", views.draft_delete, name="draft_discard"),
    path("welfare/", views.welfare_list, name="welfare"),
    path("trends/", views.trends, name="trends"),
    path("patterns/", views.patterns, name="patterns"),
    path("export/", views.incident_export, name="export"),
    path("attachments/<uuid:code>/", views.attachment_download, name="attachment_download"),
    path("<uuid:code>/", views.incident_detail, name="detail"),
    path("<uuid:code>/edit/", views.incident_edit, name="edit"),
    path("<uuid:code>/status/", views.incident_status, name="status"),
    path("<uuid:code>/entries/new/", views.entry_create, name="entry_create"),
    path("<uuid:code>/entries/<uuid:entry>/correct/", views.entry_correct, name="entry_correct"),
    path("<uuid:code>/report/", views.incident_report, name="report"),
    path("<uuid:code>/attachments/new/", views.attachment_create, name="attachment_create"),
    path("<uuid:code>/assessment/", views.assessment_edit, name="assessment"),
    path("<uuid:code>/reviews/new/", views.review_create, name="review_create"),
    path("<uuid:code>/welfare/done/", views.welfare_mark_done, name="welfare_done"),
]
