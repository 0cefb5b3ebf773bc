from django.urls import path

from riskassessment import views

app_name = "riskassessment"

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.situation_create, name="create"),
    path("<uuid:code>/", views.situation_detail, name="detail"),
    path("<uuid:code>/edit/", views.situation_edit, name="edit"),
    path("<uuid:code>/assess/", views.assessment_start, name="assessment_start"),
    path("<uuid:code>/measures/new/", views.measure_create, name="measure_create"),
    path("<uuid:code>/plan/", views.safety_plan, name="plan"),
    path("assessments/<uuid:code>/", views.assessment_detail, name="assessment"),
    path(
        "assessments/<uuid:code>/threats/",
        views.assessment_items,
        {"part": "threats"},
        name="threats",
    ),
    path(
        "assessments/<uuid:code>/vulnerabilities/",
        views.assessment_items,
        {"part": "vulnerabilities"},
        name="vulnerabilities",
    ),
    path(
        "assessments/<uuid:code>/capacities/",
        views.assessment_items,
        {"part": "capacities"},
        name="capacities",
    ),
    path("assessments/<uuid:code>/ratings/", views.assessment_rate, name="ratings"),
    path("assessments/<uuid:code>/decision/", views.assessment_decide, name="decide"),
    path("assessments/<uuid:code>/approve/", views.assessment_approve, name="approve"),
    path("measures/<uuid:code>/edit/", views.measure_edit, name="measure_edit"),
    path("measures/<uuid:code>/status/", views.measure_status, name="measure_status"),
]
