import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from incidents import references
from incidents.models import Incident, TimelineEntry
from incidents.selectors import welfare_pending
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.drafts.models import Draft
from tests.conftest import local, sign_in
from tests.crypto.support import raw_value
from tests.factories import IncidentFactory

URL = "/incidents/new/"
DISCARD_URL = "/incidents/new/draft/discard/"


def quick_data(**changes: object) -> dict[str, object]:
    """Only what the quick part of the form asks for."""
    data = {
        "kind": "threat",
        "occurred_on": timezone.localdate().isoformat(),
        "summary": "Followed after outreach",
        "severity": "3",
        "visibility": "team",
    }
    return {**data, **changes}


def full_data(**changes: object) -> dict[str, object]:
    """Every field a reporter can fill, typed as a browser sends them."""
    data = {
        **quick_data(),
        # Yesterday: a time of day is refused while it is still ahead today.
        "occurred_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "occurred_time": "21:15",
        "approximate": "on",
        "location": "Bus stop on the ring road",
        "description": "A man from the old house followed us to the bus stop.",
        "affects_organization": "on",
        "welfare_follow_up": "on",
        "category": "former_exploiters",
        "impact": "Outreach stopped for a week.",
        "immediate_response": "We took a taxi back together.",
        "reported_to": "Nobody yet.",
        "evidence": "A photo of the car.",
        "factors": ["gender", "survivor"],
        "factors_notes": "He knew her from before.",
        "guidelines_covered": "yes",
        "guidelines_followed": "no",
        "lessons": "Leave in pairs.",
    }
    return {**data, **changes}


TYPED_TEXT = [
    "Followed after outreach",
    "Bus stop on the ring road",
    "A man from the old house followed us to the bus stop.",
    "Outreach stopped for a week.",
    "We took a taxi back together.",
    "A photo of the car.",
    "He knew her from before.",
    "Leave in pairs.",
]


def is_checked(content: bytes, name: str, value: object) -> bool:
    """Whether the tick or radio button `name` with `value` is checked in the page."""
    tag = re.search(rf'<input [^>]*name="{name}" value="{value}"[^>]*>', content.decode())
    assert tag is not None, f"no {name} input with value {value}"
    return " checked" in tag.group(0)


def is_ticked(content: bytes, name: str) -> bool:
    """Whether the single checkbox `name` is ticked in the page."""
    tag = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', content.decode())
    assert tag is not None, f"no {name} checkbox"
    return " checked" in tag.group(0)


def keeps_everything_typed(content: bytes) -> None:
    """The page shows every value of `full_data()` again."""
    page = content.decode()
    for text in TYPED_TEXT[1:]:
        assert text in page, f"{text!r} was lost"
    assert 'name="occurred_time" value="21:15"' in page
    for name, value in [
        ("kind", "threat"),
        ("severity", "3"),
        ("visibility", "team"),
        ("category", "former_exploiters"),
        ("factors", "gender"),
        ("factors", "survivor"),
        ("guidelines_covered", "yes"),
        ("guidelines_followed", "no"),
    ]:
        assert is_checked(content, name, value), f"{name}={value} was lost"
    for name in ["approximate", "affects_organization", "welfare_follow_up"]:
        assert is_ticked(content, name), f"{name} was lost"


def test_a_report_with_only_the_quick_fields_is_logged(client: Client, staff: User) -> None:
    response = sign_in(client, staff).post(URL, quick_data())

    incident = Incident.objects.get()
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.kind, incident.summary, incident.severity, incident.visibility) == (
        "threat",
        "Followed after outreach",
        3,
        "team",
    )
    assert (incident.reporter, incident.status, incident.version) == (staff, "new", 1)
    assert incident.occurred_on == timezone.localdate()


FOLD = re.compile(r"<details class=\"more\"( open)?>")


def fold_is_open(content: bytes) -> bool:
    """Whether "More details" is unfolded in the page."""
    fold = FOLD.search(content.decode())
    assert fold is not None, "no More details on the page"
    return fold.group(1) is not None


def test_what_send_needs_comes_first_with_now_filled_in_and_the_rest_folded(
    client: Client, staff: User
) -> None:
    with time_machine.travel(local(2026, 12, 1, 8, 7, 42), tick=False):
        response = sign_in(client, staff).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    fold = page.index('<details class="more"')
    send = page.index(">Send</button>")
    for name in ["kind", "occurred_on", "occurred_time", "approximate", "summary", "severity"]:
        assert page.index(f'name="{name}"') < fold, f"{name} is folded away"
    for name in ["description", "place", "affected_people", "visibility", "welfare_follow_up"]:
        assert fold < page.index(f'name="{name}"') < send, f"{name} is not folded"
    assert 'name="occurred_on" value="2026-12-01"' in page
    assert 'name="occurred_time" value="08:07"' in page
    assert not fold_is_open(response.content)


@pytest.mark.parametrize(
    ("sent", "unfolded"),
    [
        pytest.param(quick_data(summary=""), False, id="an-error-above-nothing-folded"),
        pytest.param(
            quick_data(summary="", description="Grey car again."), True, id="a-folded-value"
        ),
        pytest.param(quick_data(severity="", visibility="named"), True, id="a-folded-choice"),
        pytest.param(quick_data(location="x" * 201), True, id="a-folded-error"),
    ],
)
def test_more_details_unfolds_itself_when_it_holds_something_or_has_an_error(
    client: Client, staff: User, sent: dict[str, object], unfolded: bool
) -> None:
    response = sign_in(client, staff).post(URL, sent)

    assert response.status_code == 200
    assert b"Some answers need a look" in response.content
    assert fold_is_open(response.content) is unfolded


def test_a_draft_opens_more_details_only_when_it_kept_something_there(
    client: Client, staff: User
) -> None:
    sign_in(client, staff).post(URL, quick_data(save_draft="1"))
    quick_only = client.get(URL)
    client.post(URL, quick_data(description="Grey car again.", save_draft="1"))
    with_details = client.get(URL)

    assert quick_only.status_code == with_details.status_code == 200
    assert b'value="Followed after outreach"' in quick_only.content
    assert not fold_is_open(quick_only.content)
    assert b"Grey car again." in with_details.content
    assert fold_is_open(with_details.content)


REFERENCE = re.compile(r"INC-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}")


def test_references_are_random_and_carry_no_sequence(client: Client, staff: User) -> None:
    sign_in(client, staff)

    first = client.post(URL, quick_data())
    second = client.post(URL, quick_data(summary="Car outside again"))

    references = list(Incident.objects.order_by("created_at").values_list("reference", flat=True))
    assert first.status_code == second.status_code == 302
    assert all(REFERENCE.fullmatch(reference) for reference in references), references
    assert len(set(references)) == 2
    # Nothing about the first tells the second: no year, no number one after the other.
    year = str(timezone.localdate().year)
    assert not any(year in reference or "0001" in reference for reference in references)


def test_a_reference_in_use_is_drawn_again(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = IncidentFactory(reference="INC-AAAAAA")
    formerly = IncidentFactory(reference="INC-BBBBBB", former_reference="INC-2025-0001")
    draws = iter(["INC-AAAAAA", "INC-2025-0001", "INC-CCCCCC"])
    monkeypatch.setattr(references, "reference_draw", lambda: next(draws))

    response = sign_in(client, staff).post(URL, quick_data())

    assert response.status_code == 302
    assert Incident.objects.exclude(pk__in=[taken.pk, formerly.pk]).get().reference == "INC-CCCCCC"


def test_no_reference_is_given_when_every_draw_is_in_use(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    IncidentFactory(reference="INC-AAAAAA")
    monkeypatch.setattr(references, "reference_draw", lambda: "INC-AAAAAA")

    with pytest.raises(references.NoFreeReference):
        sign_in(client, staff).post(URL, quick_data())

    assert Incident.objects.count() == 1


def test_two_incidents_cannot_share_a_reference_in_the_database(db: None) -> None:
    IncidentFactory(reference="INC-AAAAAA", former_reference="INC-2025-0001")

    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentFactory(reference="INC-AAAAAA")
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentFactory(former_reference="INC-2025-0001")
    IncidentFactory(former_reference="")  # many incidents never had a numbered reference

    assert Incident.objects.count() == 2


def test_the_reference_is_announced_after_sending(client: Client, staff: User) -> None:
    response = sign_in(client, staff).post(URL, quick_data(), follow=True)

    reference = Incident.objects.get().reference
    assert f"Thank you. The incident is logged as {reference}.".encode() in response.content


def test_logging_opens_the_timeline_and_records_field_names_only(
    client: Client, staff: User
) -> None:
    sign_in(client, staff).post(URL, full_data())

    incident = Incident.objects.get()
    entry = TimelineEntry.objects.get()
    assert (entry.incident, entry.kind, entry.author, entry.body) == (
        incident,
        "logged",
        staff,
        "",
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_type, event.object_id) == (
        staff,
        "incidents.incident",
        str(incident.pk),
    )
    assert {"summary", "description", "impact", "factors", "welfare_follow_up"} <= set(event.fields)
    assert all(re.fullmatch(r"[a-z_]+", name) for name in event.fields)
    for text in TYPED_TEXT:
        assert text not in str(event.fields)


def test_a_missing_summary_and_a_date_in_the_future_are_explained_and_nothing_typed_is_lost(
    client: Client, staff: User
) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = sign_in(client, staff).post(URL, full_data(summary="", occurred_on=tomorrow))

    assert response.status_code == 200
    page = response.content.decode()
    assert "The date cannot be in the future." in page
    assert re.search(r'id="id_summary_error">This field is required\.', page)
    assert f'name="occurred_on" value="{tomorrow}"' in page
    keeps_everything_typed(response.content)
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


def test_save_and_finish_later_keeps_an_encrypted_draft_on_the_server(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)

    response = client.post(URL, full_data(summary="", save_draft="1"))

    assert response["Location"] == "/"
    draft = Draft.objects.get()
    assert (draft.user, draft.form) == (staff, "incidents:create")
    assert draft.data["description"] == ["A man from the old house followed us to the bus stop."]
    assert draft.data["factors"] == ["gender", "survivor"]
    assert "csrfmiddlewaretoken" not in draft.data
    assert b"old house" not in raw_value(Draft, "data", draft.pk)
    assert not Incident.objects.exists()


def test_a_draft_never_goes_into_the_session(client: Client, staff: User) -> None:
    sign_in(client, staff)

    kept = client.post(URL, full_data(save_draft="1"))
    shown = client.get(URL)

    assert kept.status_code == 302
    assert shown.status_code == 200
    assert b"This is your unsent report from" in shown.content
    session = Session.objects.get(pk=client.session.session_key)
    for text in TYPED_TEXT:
        assert text not in session.session_data
        assert text not in str(session.get_decoded())


def test_opening_the_form_again_shows_the_draft(client: Client, staff: User) -> None:
    sign_in(client, staff).post(URL, full_data(save_draft="1"))

    response = client.get(URL)

    assert response.status_code == 200
    assert b"This is your unsent report from" in response.content
    assert f'action="{DISCARD_URL}"'.encode() in response.content
    assert b'value="Followed after outreach"' in response.content
    keeps_everything_typed(response.content)
    # Shown as it was kept, not marked wrong before anyone pressed Send.
    assert b"field-error" not in response.content


def test_sending_the_form_discards_the_draft(client: Client, staff: User) -> None:
    sign_in(client, staff).post(URL, full_data(save_draft="1"))

    sent = client.post(URL, full_data())
    form = client.get(URL)

    assert sent.status_code == 302
    assert Incident.objects.count() == 1
    assert not Draft.objects.exists()
    assert form.status_code == 200
    assert b"Log an incident" in form.content
    assert b"This is your unsent report" not in form.content


def test_a_form_with_errors_keeps_the_draft(client: Client, staff: User) -> None:
    sign_in(client, staff).post(URL, full_data(save_draft="1"))

    client.post(URL, full_data(summary=""))

    assert Draft.objects.filter(user=staff).exists()


def test_the_draft_can_be_discarded(client: Client, staff: User) -> None:
    sign_in(client, staff).post(URL, full_data(save_draft="1"))

    response = client.post(DISCARD_URL, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert b"The draft was discarded." in response.content
    assert not Draft.objects.exists()
    assert b"old house" not in response.content


def test_discarding_takes_a_post(client: Client, staff: User) -> None:
    sign_in(client, staff).post(URL, full_data(save_draft="1"))

    assert client.get(DISCARD_URL).status_code == 405
    assert Draft.objects.exists()


def test_a_named_incident_is_shared_with_the_people_named(
    client: Client, staff: User, named_staff: User, other_staff: User
) -> None:
    sign_in(client, staff).post(
        URL, quick_data(visibility="named", shared_with=[str(named_staff.pk)])
    )

    incident = Incident.objects.get()
    assert incident.visibility == "named"
    assert list(incident.shared_with.all()) == [named_staff]


def test_names_are_dropped_when_the_incident_is_not_for_named_people(
    client: Client, staff: User, named_staff: User
) -> None:
    sign_in(client, staff).post(
        URL, quick_data(visibility="coordinators", shared_with=[str(named_staff.pk)])
    )

    incident = Incident.objects.get()
    assert incident.visibility == "coordinators"
    assert not incident.shared_with.exists()


def test_the_reporter_is_not_offered_to_themselves(
    client: Client, staff: User, other_staff: User
) -> None:
    response = sign_in(client, staff).get(URL)

    assert response.status_code == 200
    offered = response.context["form"].fields["shared_with"].queryset
    assert other_staff in offered
    assert staff not in offered


def test_the_reporter_can_ask_for_someone_to_check_in(
    client: Client, staff: User, coordinator: User
) -> None:
    sign_in(client, staff).post(URL, quick_data(welfare_follow_up="on"))

    incident = Incident.objects.get()
    assert incident.welfare_pending
    assert list(welfare_pending(coordinator)) == [incident]


def test_no_check_in_is_asked_for_unless_ticked(client: Client, staff: User) -> None:
    sign_in(client, staff).post(URL, quick_data())

    assert not Incident.objects.get().welfare_follow_up


def test_anonymous_visitors_are_sent_to_sign_in_without_the_path(client: Client, db: None) -> None:
    assert client.get(URL)["Location"] == "/login/"
    assert client.post(URL, quick_data())["Location"] == "/login/"
    assert not Incident.objects.exists()


def test_put_and_delete_are_refused(client: Client, staff: User) -> None:
    sign_in(client, staff)

    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405


def test_a_password_alone_is_sent_to_the_second_factor(client: Client, staff: User) -> None:
    client.force_login(staff)

    assert client.get(URL)["Location"] == "/login/verify/"
    assert client.post(URL, quick_data())["Location"] == "/login/verify/"
    assert not Incident.objects.exists()


def test_a_user_without_a_second_factor_is_sent_to_set_one_up(
    client: Client, unverified: User
) -> None:
    response = sign_in(client, unverified).post(URL, quick_data())

    assert response["Location"] == "/login/enrol/"
    assert not Incident.objects.exists()


def test_a_time_later_today_is_refused_and_an_earlier_one_accepted(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)
    with time_machine.travel(local(2026, 12, 1, 8, 7), tick=False):
        later = client.post(URL, quick_data(occurred_on="2026-12-01", occurred_time="21:40"))
        earlier = client.post(URL, quick_data(occurred_on="2026-12-01", occurred_time="07:50"))

    assert later.status_code == 200
    assert "The time cannot be later than now (08:07)." in later.content.decode()
    assert earlier.status_code == 302
    assert Incident.objects.get().occurred_time.strftime("%H:%M") == "07:50"
