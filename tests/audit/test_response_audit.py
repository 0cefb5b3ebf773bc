"""Every response that shows decrypted content of a record writes an event naming that record.

The walk fills every encrypted text field of a small world (an incident with its timeline,
assessment, review and attachment; a risk situation with its assessment and measure; allies, an
engagement, a place, people, a draft) with unique canaries, then opens every URL as staff, a
coordinator and an administrator, with GET and with an empty POST (which re-renders a form with
its errors), plus the records admin's pages. A canary of a record in a response without an event
of that same request naming the record fails the test.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.test import Client, RequestFactory
from django.urls import reverse

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.chain import event_mac
from safespaces.audit.disclosure import record_name
from safespaces.audit.middleware import ResponseAuditMiddleware
from safespaces.audit.models import AuditEvent
from safespaces.audit.selectors import audit_events_filtered
from safespaces.audit.services import audit_chain_verify, audit_record, audit_seal, audit_view
from safespaces.crypto.fields import EncryptedJSONField, encrypted_fields
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    AlternativeFactory,
    AttachmentFactory,
    CapacityFactory,
    DraftFactory,
    EngagementFactory,
    ErasureRequestFactory,
    IdentityGrantFactory,
    IncidentFactory,
    MeasureFactory,
    PersonFactory,
    PlaceFactory,
    RelationFactory,
    ReviewFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
    ThreatAssessmentFactory,
    TimelineEntryFactory,
    UserFactory,
    VulnerabilityFactory,
)
from tests.urlwalk import ADMIN_NAMESPACE, Route, Samples, walk

PERSONAS = ["staff", "coordinator", "administrator"]
# They end the session and show nothing; the attachment download needs a stored file and
# records itself (tests/incidents/test_attachment_download.py). Exports are read to the end.
SKIPPED = {"accounts:logout", "quick_exit", "incidents:attachment_download"}
# POSTs that change what later requests can see go last.
CHANGING = ("archive", "erase", "erasure_", "delete", "revoke", "withdraw", "deactivate", "reset")

Name = tuple[str, str]


@dataclass
class World:
    samples: Samples
    canaries: dict[str, Name]  # canary text -> the record that holds it
    admin_paths: list[str]


def plant(instance: models.Model, canaries: dict[str, Name]) -> models.Model:
    """Put a unique canary in each encrypted text field of `instance` (closed-list JSON fields
    keep their values: they hold choices, not words)."""
    for field in encrypted_fields(type(instance)):
        if isinstance(field, EncryptedJSONField):
            continue
        text = f"canary{uuid.uuid4().hex[:16]}"
        setattr(instance, field.attname, text)
        canaries[text] = record_name(instance)
    instance.save()
    return instance


def build_world(users: dict[str, User]) -> World:
    staff, coordinator, administrator = (users[p] for p in PERSONAS)
    canaries: dict[str, Name] = {}
    colleague = plant(UserFactory(role=Role.COORDINATOR), canaries)
    place = plant(PlaceFactory(), canaries)
    person = plant(PersonFactory(), canaries)
    grant = plant(
        IdentityGrantFactory(user=staff, person=person, granted_by=administrator), canaries
    )
    erasure = plant(ErasureRequestFactory(requested_by=colleague), canaries)
    ally = plant(ActorFactory(), canaries)
    adversary = plant(AdversaryFactory(), canaries)
    relation = RelationFactory(source=adversary, target=ally, recorded_by=colleague)
    engagement = plant(EngagementFactory(actor=ally, recorded_by=colleague), canaries)
    incident = plant(IncidentFactory(reporter=staff, place=place), canaries)
    incident.affected_people.set([person])
    entry = plant(TimelineEntryFactory(incident=incident), canaries)
    plant(ThreatAssessmentFactory(incident=incident, assessed_by=colleague), canaries)
    plant(ReviewFactory(incident=incident, recorded_by=colleague), canaries)
    plant(AttachmentFactory(incident=incident), canaries)
    draft = DraftFactory(user=staff, data={"summary": ["canarydraft"]})
    canaries["canarydraft"] = record_name(draft)
    situation = plant(RiskSituationFactory(participants=[staff], created_by=colleague), canaries)
    assessment = plant(RiskAssessmentFactory(situation=situation), canaries)
    threat = plant(RiskThreatFactory(assessment=assessment), canaries)
    plant(VulnerabilityFactory(assessment=assessment), canaries)
    plant(CapacityFactory(assessment=assessment), canaries)
    plant(AlternativeFactory(assessment=assessment), canaries)
    measure = plant(MeasureFactory(situation=situation, owner=staff, threat=threat), canaries)

    by_prefix: dict[str, dict[str, str]] = {
        "incidents:": {"code": str(incident.pk), "entry": str(entry.pk)},
        "riskassessment:": {"code": str(situation.pk)},
        "allies:": {"code": str(ally.pk)},
        "people:": {"code": str(person.pk)},
        "places:": {"code": str(place.pk)},
        "accounts:": {"user_id": str(colleague.pk)},
    }
    by_name = {
        **dict.fromkeys(
            [
                "riskassessment:assessment",
                "riskassessment:threats",
                "riskassessment:vulnerabilities",
                "riskassessment:capacities",
                "riskassessment:ratings",
                "riskassessment:decide",
                "riskassessment:approve",
            ],
            {"code": str(assessment.pk)},
        ),
        "riskassessment:measure_edit": {"code": str(measure.pk)},
        "riskassessment:measure_status": {"code": str(measure.pk)},
        "allies:relation_delete": {"code": str(relation.pk)},
        "allies:engagement_edit": {"code": str(engagement.pk)},
        "allies:person_sharing": {"code": str(person.pk)},
        "people:grant_revoke": {"code": str(grant.pk)},
        "people:erasure_approve": {"code": str(erasure.pk)},
        "people:erasure_cancel": {"code": str(erasure.pk)},
    }
    samples = {
        route.name: by_name.get(route.name)
        or next((v for p, v in by_prefix.items() if route.name.startswith(p)), {})
        for route in walk()
    }
    admin_paths = [
        reverse(f"admin:{label.replace('.', '_')}_changelist")
        for label in {record_name(i)[0] for i in (incident, situation, ally, place, person)}
    ] + [
        reverse(f"admin:{r._meta.app_label}_{r._meta.model_name}_change", args=[r.pk])
        for r in (incident, entry, situation, assessment, measure, ally, engagement, place, person)
    ]
    return World(samples, canaries, admin_paths)


def requests(world: World) -> Iterator[tuple[str, str]]:
    """(method, path) for every URL: GETs first, then POSTs, those that change things last."""
    routes: list[Route] = [
        r
        for r in walk(samples=world.samples)
        if r.path and r.name not in SKIPPED and not r.name.startswith(ADMIN_NAMESPACE + ":")
    ]
    yield from (("get", route.path) for route in routes)
    yield from (("get", path) for path in world.admin_paths)
    changing = [r for r in routes if any(word in r.name for word in CHANGING)]
    yield from (("post", route.path) for route in routes if route not in changing)
    yield from (("post", route.path) for route in changing)


def names_of(events: list[AuditEvent]) -> set[Name]:
    names = {(e.object_type, e.object_id) for e in events}
    for event in events:
        names.update(tuple(n.split(":", 1)) for n in event.shown or [])  # type: ignore[misc]
    return names


@pytest.fixture
def users(staff: User, coordinator: User, administrator: User) -> dict[str, User]:
    return {"staff": staff, "coordinator": coordinator, "administrator": administrator}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_that_shows_a_record_names_it_in_an_event(
    persona: str, users: dict[str, User]
) -> None:
    world = build_world(users)
    client = sign_in(Client(), users[persona])
    shown_any, unrecorded = 0, []
    for method, path in requests(world):
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = getattr(client, method)(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        content = body.decode(errors="replace")
        found = {world.canaries[c] for c in world.canaries if c in content}
        if not found:
            continue
        shown_any += 1
        named = names_of(list(AuditEvent.objects.filter(id__gt=last)))
        missing = found - named
        if missing:
            unrecorded.append(
                f"{method.upper()} {path} ({response.status_code}): {sorted(missing)}"
            )

    assert shown_any > 15  # the walk reached the records, so the check below means something
    assert unrecorded == []


def test_a_form_re_rendered_after_a_post_records_what_it_shows(
    client: Client, coordinator: User
) -> None:
    threat = RiskThreatFactory(description="The recruiter's men wait at the bus stop.")
    url = reverse("riskassessment:ratings", kwargs={"code": threat.assessment.pk})

    response = sign_in(client, coordinator).post(url, {"threat": "9"})

    assert response.status_code == 200
    assert b"wait at the bus stop" in response.content
    event = AuditEvent.objects.get()
    assert (event.actor, event.action) == (coordinator, AuditEvent.Action.VIEW)
    assert event.object_id == str(threat.assessment.pk)
    assert f"riskassessment.threat:{threat.pk}" in event.shown


def test_a_list_page_writes_one_event_naming_each_record_shown(client: Client, staff: User) -> None:
    incidents = IncidentFactory.create_batch(3, reporter=staff)

    response = sign_in(client, staff).get(reverse("incidents:list"))

    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.LIST
    assert set(event.shown) >= {f"incidents.incident:{i.pk}" for i in incidents}


def test_a_redirect_after_a_save_writes_no_view_event(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)
    url = reverse("incidents:entry_create", kwargs={"code": incident.pk})

    response = sign_in(client, staff).post(url, {"kind": "note", "body": "Called her sister."})

    assert response.status_code == 302
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == [AuditEvent.Action.CREATE]


def test_the_audit_log_finds_a_record_among_those_a_page_showed(staff: User) -> None:
    code = str(uuid.uuid4())
    listed = audit_record(
        action=AuditEvent.Action.LIST,
        actor=staff,
        object_type="incidents.incident",
        shown=[f"incidents.incident:{code}", f"incidents.incident:{uuid.uuid4()}"],
    )
    audit_record(action=AuditEvent.Action.LIST, actor=staff, object_type="incidents.incident")

    found = audit_events_filtered({"object_type": "incidents.incident", "object_id": code})

    assert list(found) == [listed]


def test_the_records_shown_are_part_of_the_chain(staff: User) -> None:
    recorded = audit_record(
        action=AuditEvent.Action.LIST, actor=staff, shown=[f"places.place:{uuid.uuid4()}"]
    )
    audit_seal()
    event = AuditEvent.objects.get(pk=recorded.pk)
    plain = {k: getattr(event, k) for k in ("seq", "at", "action", "object_type", "object_id")}
    plain |= {"actor_id": event.actor_id, "fields": [], "prev_mac": event.prev_mac}

    assert event_mac(**plain, shown=event.shown) == event.mac
    assert event_mac(**plain, shown=[f"places.place:{uuid.uuid4()}"]) != event.mac
    assert event_mac(**plain) != event.mac  # leaving the records out breaks the chain too
    assert audit_chain_verify().first_broken_seq is None


def test_a_value_passed_as_a_record_name_is_refused(staff: User) -> None:
    with pytest.raises(ValueError, match="record names"):
        audit_record(action=AuditEvent.Action.LIST, actor=staff, shown=["Rosa's new address"])


def test_a_record_a_view_names_is_recorded_whatever_it_answers(staff: User) -> None:
    place = PlaceFactory()

    def names_then_redirects(request: HttpRequest) -> HttpResponse:
        audit_view(request, place)
        return redirect("/")

    request = RequestFactory().get("/")
    request.user = staff

    response = ResponseAuditMiddleware(names_then_redirects)(request)

    assert response.status_code == 302
    event = AuditEvent.objects.get()
    assert (event.action, event.object_id) == (AuditEvent.Action.VIEW, str(place.pk))
