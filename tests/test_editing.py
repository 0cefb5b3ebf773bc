import time_machine
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import RequestFactory

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.drafts.models import EditBase
from safespaces.editing import edit_saved
from safespaces.places import services
from safespaces.places.forms import PlaceForm
from safespaces.places.models import Place
from tests.conftest import local
from tests.factories import PlaceFactory

CONFLICT = (
    "Someone else changed this place while you were editing. Your changes are below; check "
    "them and save again."
)


def edit(request: HttpRequest, place: Place, by: User) -> tuple[bool, PlaceForm]:
    """Run the helper as the place edit view does."""
    form = PlaceForm(request.POST or None, instance=place, with_address=True)
    saved = edit_saved(
        request,
        form,
        save=lambda: services.place_update(
            place=form.save(commit=False),
            seen_version=form.seen_version,
            changed=form.changed_fields,
            by=by,
        ),
        thing="this place",
    )
    return saved, form


def posted(rf: RequestFactory, place: Place, by: User, **typed: object) -> HttpRequest:
    data = {"kind": place.kind, "name": place.name, "address": place.address, "notes": ""}
    request = rf.post("/", {**data, "version": place.version, **typed})
    request.user = by
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def test_a_save_records_the_change_bumps_the_version_and_says_saved(
    rf: RequestFactory, coordinator: User
) -> None:
    place = PlaceFactory(name="Willow House")
    request = posted(rf, place, coordinator, name="Willow House Two")

    saved, _form = edit(request, place, coordinator)

    assert saved is True
    stored = Place.objects.get(pk=place.pk)
    assert (stored.name, stored.version) == ("Willow House Two", 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.fields == ["name", "notes"]
    assert [str(message) for message in get_messages(request)] == ["Saved."]


def test_a_conflict_keeps_what_was_typed_and_explains_it_in_the_one_message(
    rf: RequestFactory, coordinator: User
) -> None:
    place = PlaceFactory(name="Willow House")
    request = posted(rf, place, coordinator, name="Willow House Two")
    Place.objects.filter(pk=place.pk).update(version=2)  # someone else saved meanwhile

    saved, form = edit(request, place, coordinator)

    assert saved is False
    assert form.non_field_errors() == [CONFLICT]
    assert form.data["name"] == "Willow House Two"
    assert form.data["version"] == "2"  # as a browser sends it back; the typed values stay
    assert Place.objects.get(pk=place.pk).name == "Willow House"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()
    assert list(get_messages(request)) == []


def test_bad_input_is_not_saved_and_says_nothing_of_a_conflict(
    rf: RequestFactory, coordinator: User
) -> None:
    place = PlaceFactory(name="Willow House")
    request = posted(rf, place, coordinator, name="")

    saved, form = edit(request, place, coordinator)

    assert saved is False
    assert form.errors["name"] == ["Give the place a name."]
    assert form.non_field_errors() == []
    assert Place.objects.get(pk=place.pk).version == 1


def test_opening_the_form_saves_nothing(rf: RequestFactory, coordinator: User) -> None:
    place = PlaceFactory(name="Willow House")
    request = rf.get("/")
    request.user = coordinator

    saved, form = edit(request, place, coordinator)

    assert saved is False
    assert not form.is_bound
    assert form["version"].value() == 1
    assert Place.objects.get(pk=place.pk).version == 1


def test_values_kept_for_a_merge_go_once_no_form_that_old_can_be_sent(
    rf: RequestFactory, coordinator: User
) -> None:
    first, second = PlaceFactory(name="Willow House"), PlaceFactory(name="Oak House")
    opening = rf.get("/")
    opening.user = coordinator
    with time_machine.travel(local(2026, 12, 3, 9, 0), tick=False):
        edit(opening, first, coordinator)
    assert list(EditBase.objects.values_list("object_id", flat=True)) == [first.pk]

    # Past the absolute session lifetime (12 hours), the first form can no longer be sent.
    with time_machine.travel(local(2026, 12, 3, 21, 1), tick=False):
        edit(opening, second, coordinator)

    assert list(EditBase.objects.values_list("object_id", flat=True)) == [second.pk]
    assert EditBase.objects.get().values["name"] == "Oak House"
