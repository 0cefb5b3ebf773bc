"""A timeline entry's contact with an ally is found by typing, never listed: the incident page
decrypts no ally's name for its entry form, and runs as many queries however many contacts
there are; a plain "Find" (without JavaScript) goes to the entry's own page with the matches;
the search view finds recent contacts only, for coordinators."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import TimelineEntry
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.pickers import forget_cached_names
from tests.conftest import sign_in
from tests.factories import ActorFactory, EngagementFactory, IncidentFactory
from tests.incidents.test_entries import create_url
from tests.picking import opened_on, queries_on, values

pytestmark = pytest.mark.django_db

PICK = "/allies/engagements/pick/"


def test_the_incident_page_lists_no_contact_and_decrypts_no_allys_name(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory(source=None)
    contact = EngagementFactory(actor=ActorFactory(name="Harbour Shelter"))
    sign_in(client, coordinator)
    forget_cached_names()

    response, opened = opened_on(client, f"/incidents/{incident.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "engagement") == [] and 'name="engagement_find"' in page
    assert "Harbour Shelter" not in page and str(contact.pk) not in page
    assert opened["allies.Actor.name"] == 0
    # "Find" without JavaScript goes to the entry's own page, at the picker.
    find = re.search(r'name="find" value="engagement"[^>]* formaction="([^"]+)"', page)
    assert find is not None
    assert html.unescape(find.group(1)) == f"{create_url(incident)}#id_engagement_picker"


def test_the_incident_page_runs_as_many_queries_however_many_contacts_there_are(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory(source=None)
    sign_in(client, coordinator)

    before, after = queries_on(
        client, f"/incidents/{incident.pk}/", lambda: EngagementFactory.create_batch(20)
    )

    assert before == after


def test_find_without_javascript_keeps_what_was_typed_and_shows_the_matches(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory()
    wanted = EngagementFactory(actor=ActorFactory(name="Harbour Shelter"))
    other = EngagementFactory(actor=ActorFactory(name="Night Clinic"))
    sign_in(client, coordinator)
    entries = TimelineEntry.objects.count()
    sent = {
        "kind": "ally_contacted",
        "body": "Asked for a bed.",
        "engagement_find": "harbour",
        "find": "engagement",
    }

    response = client.post(create_url(incident), sent)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Asked for a bed." in page and "This field is required" not in page
    assert values(page, "engagement") == [str(wanted.pk)]
    assert "Harbour Shelter (Request for help)" in page
    assert str(other.pk) not in page
    assert TimelineEntry.objects.count() == entries


def test_the_search_finds_recent_contacts_only_and_audits_the_allies_shown(
    client: Client, coordinator: User
) -> None:
    recent = EngagementFactory(actor=ActorFactory(name="Harbour Shelter"))
    old = EngagementFactory(
        actor=ActorFactory(name="Harbour Hall"), date=timezone.localdate() - timedelta(days=120)
    )
    sign_in(client, coordinator)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = client.post(PICK, {"name": "engagement", "q": "harbour"})

    assert response.status_code == 200
    assert values(response.content.decode(), "engagement") == [str(recent.pk)]
    assert str(old.pk) not in response.content.decode()
    event = AuditEvent.objects.get(id__gt=before)
    assert event.shown == [f"allies.actor:{recent.actor_id}"]


def test_a_contact_already_chosen_is_neither_shown_nor_audited(
    client: Client, coordinator: User
) -> None:
    chosen = EngagementFactory(actor=ActorFactory(name="Harbour Shelter"))
    sign_in(client, coordinator)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = client.post(PICK, {"name": "engagement", "q": "harbour", "chosen": [chosen.pk]})

    assert response.status_code == 200
    assert values(response.content.decode(), "engagement") == []
    assert b"Nothing matches" in response.content
    assert not AuditEvent.objects.filter(id__gt=before).exists()


def test_staff_may_not_search_contacts(client: Client, staff: User) -> None:
    EngagementFactory()

    response = sign_in(client, staff).post(PICK, {"name": "engagement", "q": ""})

    assert response.status_code == 403
