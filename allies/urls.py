from django.urls import path

from allies import views

app_name = "allies"

urlpatterns = [
    path("", views.actor_list, name="list"),
    path("new/", views.actor_create, name="create"),
    path("pick/", views.actor_pick, name="pick"),
    path("engagements/pick/", views.engagement_pick, name="pick_engagement"),
    path("map/", views.map_view, name="map"),
    path("directory/", views.directory_view, name="directory"),
    path("directory/card/", views.directory_card, name="directory_card"),
    path("gaps/", views.gap_list, name="gaps"),
    path("<uuid:code>/", views.actor_detail, name="detail"),
    path("<uuid:code>/edit/", views.actor_edit, name="edit"),
    path("<uuid:code>/archive/", views.actor_archive, name="archive"),
    path("<uuid:code>/relations/new/", views.relation_create, name="relation_create"),
    path("relations/<uuid:code>/delete/", views.relation_delete, name="relation_delete"),
    path("<uuid:code>/engagements/new/", views.engagement_create, name="engagement_create"),
    path("engagements/<uuid:code>/edit/", views.engagement_edit, name="engagement_edit"),
    path("sharing/<uuid:code>/", views.person_sharing, name="person_sharing"),
    path("sharing/consents/<uuid:code>/withdraw/", views.sharing_withdraw, name="sharing_withdraw"),
]
