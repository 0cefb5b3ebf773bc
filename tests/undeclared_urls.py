"""A URLconf with one view that forgot to declare its access rule, to prove the guards catch it."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def forgotten(request: HttpRequest) -> HttpResponse:
    return HttpResponse("should never be served")


urlpatterns = [
    path("forgotten/", forgotten, name="forgotten"),
    path("", include("safespaces.urls")),
]
