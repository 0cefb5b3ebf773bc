from django import forms
from django.contrib.auth.models import AnonymousUser, Group

from safespaces.accounts.models import User
from safespaces.places.forms import PlaceChoiceField
from safespaces.places.models import Place
from safespaces.places.selectors import may_see_address, places_for_picking
from tests.factories import PlaceFactory


class PickForm(forms.Form):
    place = PlaceChoiceField()


def test_active_places_are_offered_by_name_and_kind_sorted(db: None) -> None:
    PlaceFactory(kind="shelter", name="Willow House")
    PlaceFactory(kind="office", name="Main office")
    PlaceFactory(kind="shelter", name="birch house")
    PlaceFactory(kind="shelter", name="Closed House", archived=True)

    labels = [label for _value, label in PickForm().fields["place"].choices]

    assert labels == [
        "---------",
        "Main office (Office)",
        "birch house (Shelter)",
        "Willow House (Shelter)",
    ]


def test_the_picker_never_shows_an_address(db: None) -> None:
    PlaceFactory(address="7 Hidden Lane")

    assert "Hidden Lane" not in str(PickForm())


def test_a_picked_place_comes_back_as_a_place(db: None) -> None:
    place = PlaceFactory()

    form = PickForm({"place": str(place.pk)})

    assert form.is_valid()
    assert form.cleaned_data["place"].pk == place.pk


def test_an_archived_place_cannot_be_picked(db: None) -> None:
    place = PlaceFactory(archived=True)

    assert not PickForm({"place": str(place.pk)}).is_valid()
    assert not places_for_picking().filter(pk=place.pk).exists()


def test_only_coordinators_and_administrators_may_see_addresses(
    administrator: User, coordinator: User, staff: User, inactive: User
) -> None:
    place = Place(kind="office", name="Main office")

    assert may_see_address(administrator, place)
    assert may_see_address(coordinator, place)
    assert not may_see_address(staff, place)
    assert not may_see_address(AnonymousUser(), place)
    inactive.groups.set(Group.objects.filter(name="Administrator"))
    assert not may_see_address(inactive, place)
