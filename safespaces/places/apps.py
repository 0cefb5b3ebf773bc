from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "safespaces.places"
    label = "places"
    verbose_name = "Places"
