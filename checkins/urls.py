from django.urls import path

from checkins import views

app_name = "checkins"
urlpatterns = [
    path("", views.check_in_list, name="list"),
    path("start/", views.start, name="start"),
    path("start/for/<uuid:code>/", views.start_for_situation, name="start_for_situation"),
    path("<uuid:code>/", views.detail, name="detail"),
    path("<uuid:code>/safe/", views.safe, name="safe"),
    path("<uuid:code>/more-time/", views.more_time, name="more_time"),
    path("<uuid:code>/end/", views.end, name="end"),
    path("<uuid:code>/help/", views.help_now, name="help"),
    path("<uuid:code>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<uuid:code>/note/", views.note, name="note"),
    path("<uuid:code>/close/", views.close, name="close"),
    path("<uuid:code>/incident/", views.log_incident, name="log_incident"),
]
