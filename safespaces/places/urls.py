from django.urls import path

from safespaces.places import views

app_name = "places"

urlpatterns = [
    path("", views.place_list, name="list"),
    path("new/", views.place_create, name="create"),
    path("pick/", views.place_pick, name="pick"),
    path("<uuid:code>/", views.place_detail, name="detail"),
    path("<uuid:code>/edit/", views.place_edit, name="edit"),
    path("<uuid:code>/archive/", views.place_archive, name="archive"),
]
