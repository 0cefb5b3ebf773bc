"""A request's audit events are sealed once its response has been sent (Postgres).

The person does not wait for the sealer, and a page that writes two events (the safety plan: an
export, then what it shows) has them sealed in one run, after both have committed.
"""

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit import services
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import ChainCheck, audit_chain_verify
from tests.conftest import sign_in
from tests.factories import MeasureFactory, RiskAssessmentFactory, RiskSituationFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite seals each event in its own transaction (see services._seal_soon)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("committed_for_real"),
]


def test_a_page_s_two_events_are_sealed_in_one_run_after_its_response(
    client: Client, coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    situation = RiskSituationFactory()
    RiskAssessmentFactory(situation=situation, decision="go_with_measures")
    MeasureFactory(situation=situation, description="Walk to the bus in pairs.")
    sign_in(client, coordinator)
    before = AuditEvent.objects.count()
    runs: list[int] = []
    seal = services.audit_seal

    def counted(**kwargs: Any) -> int:
        runs.append(AuditEvent.objects.filter(seq__isnull=True).count())
        return seal(**kwargs)

    monkeypatch.setattr(services, "audit_seal", counted)

    response = client.get(f"/risks/{situation.pk}/plan/")

    assert response.status_code == 200
    written = AuditEvent.objects.order_by("id")[before:]
    actions = [event.action for event in written]
    assert actions == [AuditEvent.Action.EXPORT, AuditEvent.Action.VIEW]
    # One run, which found both events waiting: it ran after the second had committed.
    assert runs == [2]
    assert all(event.seq is not None for event in written)
    assert audit_chain_verify() == ChainCheck(rows_checked=AuditEvent.objects.count())


def test_outside_a_request_an_event_is_sealed_as_it_commits(
    coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[int] = []
    seal = services.audit_seal
    monkeypatch.setattr(services, "audit_seal", lambda **kw: runs.append(1) or seal(**kw))

    event = services.audit_record(action=AuditEvent.Action.VIEW, actor=coordinator)

    event.refresh_from_db()
    assert (runs, event.seq is not None) == ([1], True)
