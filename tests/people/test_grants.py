from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.people.models import IdentityGrant
from tests.conftest import sign_in
from tests.factories import IdentityGrantFactory, PersonFactory


def test_an_administrator_grants_access_to_one_person_for_a_while(
    client: Client, administrator: User, staff: User
) -> None:
    person = PersonFactory(alias="Heron")
    with time_machine.travel("2026-11-20 10:00", tick=False):
        response = sign_in(client, administrator).post(
            "/people/grants/",
            {
                "user": staff.pk,
                "person": person.pk,
                "reason": "Court accompaniment",
                "expires_on": "2026-12-01",
            },
        )

    grant = IdentityGrant.objects.get()
    assert response["Location"] == "/people/grants/"
    assert (grant.user, grant.person, grant.granted_by) == (staff, person, administrator)
    assert grant.expires_at.date().isoformat() == "2026-12-01"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.GRANT).count() == 1


def test_a_grant_longer_than_ninety_days_is_refused_and_the_form_kept(
    client: Client, administrator: User, staff: User
) -> None:
    with time_machine.travel("2026-11-20 10:00", tick=False):
        response = sign_in(client, administrator).post(
            "/people/grants/",
            {
                "user": staff.pk,
                "everyone": "on",
                "reason": "Audit of files",
                "expires_on": "2027-03-01",
            },
        )

    assert response.status_code == 200
    assert b"at most 90 days" in response.content
    assert b"Audit of files" in response.content
    assert not IdentityGrant.objects.exists()


def test_the_page_separates_active_from_ended_grants(
    client: Client, administrator: User, staff: User
) -> None:
    IdentityGrantFactory(user=staff, reason="Still running")
    IdentityGrantFactory(user=staff, reason="Was revoked", revoked_at=timezone.now())
    IdentityGrantFactory(
        user=staff,
        reason="Ran out",
        granted_at=timezone.now() - timedelta(days=10),
        expires_at=timezone.now() - timedelta(days=1),
    )

    response = sign_in(client, administrator).get("/people/grants/")

    assert [g.reason for g in response.context["active"]] == ["Still running"]
    assert sorted(g.reason for g in response.context["ended"]) == ["Ran out", "Was revoked"]


def test_revoking_ends_the_grant_and_is_audited(client: Client, administrator: User) -> None:
    grant = IdentityGrantFactory()

    response = sign_in(client, administrator).post(f"/people/grants/{grant.pk}/revoke/")

    grant.refresh_from_db()
    assert response["Location"] == "/people/grants/"
    assert grant.revoked_by == administrator
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVOKE).count() == 1


def test_a_revoked_grant_cannot_be_revoked_again(client: Client, administrator: User) -> None:
    grant = IdentityGrantFactory(revoked_at=timezone.now())

    assert (
        sign_in(client, administrator).post(f"/people/grants/{grant.pk}/revoke/").status_code == 404
    )


def test_coordinators_may_not_grant(client: Client, coordinator: User, staff: User) -> None:
    response = sign_in(client, coordinator).post(
        "/people/grants/", {"user": staff.pk, "reason": "x", "expires_on": "2026-12-01"}
    )

    assert response.status_code == 403
    assert not IdentityGrant.objects.exists()


def test_a_grant_for_everyone_must_be_ticked_on_purpose(
    client: Client, administrator: User, staff: User
) -> None:
    sign_in(client, administrator)
    data = {"user": staff.pk, "reason": "Yearly file check", "expires_on": "2026-12-01"}

    with time_machine.travel("2026-11-20 10:00", tick=False):
        untouched = client.post("/people/grants/", data)
        ticked = client.post("/people/grants/", {**data, "everyone": "on"})

    assert b"Choose one person, or tick access to everyone." in untouched.content
    assert ticked.status_code == 302
    assert IdentityGrant.objects.get().person is None
