"""A request's audit events are sealed once its response has been sent (Postgres).

The person does not wait for the sealer, and a page that writes two events (the directory's
pocket card: an export, then the allies it shows) has them sealed in one run, after both have
committed.
"""

from typing import Any

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from safespaces.accounts.models import User
from safespaces.audit import services
from safespaces.audit.middleware import ResponseAuditMiddleware
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import (
    ChainCheck,
    audit_chain_verify,
    audit_record,
    audit_seal_sent_response,
)
from tests.conftest import sign_in
from tests.factories import ActorFactory
from tests.postgres import committing_on_postgres

pytestmark = committing_on_postgres(
    "SQLite seals each event in its own transaction (see services._seal_soon)"
)


@pytest.fixture
def sealer_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each run of the sealer, as the number of rows it found waiting."""
    runs: list[int] = []
    seal = services.audit_seal

    def counted(**kwargs: Any) -> int:
        runs.append(AuditEvent.objects.filter(seq__isnull=True).count())
        return seal(**kwargs)

    monkeypatch.setattr(services, "audit_seal", counted)
    return runs


def test_a_page_s_two_events_are_sealed_in_one_run_after_its_response(
    client: Client, coordinator: User, sealer_runs: list[int]
) -> None:
    ActorFactory(name="Harbour Shelter")
    sign_in(client, coordinator)
    before = AuditEvent.objects.count()
    sealer_runs.clear()

    response = client.get("/allies/directory/card/")

    assert response.status_code == 200
    written = AuditEvent.objects.order_by("id")[before:]
    actions = [event.action for event in written]
    assert actions == [AuditEvent.Action.EXPORT, AuditEvent.Action.VIEW]
    # One run, which found both events waiting: it ran after the second had committed.
    assert sealer_runs == [2]
    assert all(event.seq is not None for event in written)
    assert audit_chain_verify() == ChainCheck(rows_checked=AuditEvent.objects.count())


def test_outside_a_request_an_event_is_sealed_as_it_commits(
    coordinator: User, sealer_runs: list[int]
) -> None:
    event = audit_record(action=AuditEvent.Action.VIEW, actor=coordinator)

    event.refresh_from_db()
    assert (sealer_runs, event.seq is not None) == ([1], True)


def test_a_response_never_sent_leaves_nothing_deferred_behind(
    coordinator: User, sealer_runs: list[int]
) -> None:
    def writes_an_event(request: HttpRequest) -> HttpResponse:
        audit_record(action=AuditEvent.Action.VIEW, actor=coordinator)
        return HttpResponse("streamed, say, and never read to the end")

    request = RequestFactory().get("/")
    request.user = coordinator

    ResponseAuditMiddleware(writes_an_event)(request)  # never closed: no request_finished

    assert sealer_runs == []  # waiting for the response to be sent
    later = audit_record(action=AuditEvent.Action.VIEW, actor=coordinator)
    later.refresh_from_db()
    # Outside the request, sealing is as before: right after the commit, and it takes the
    # request's event along.
    assert (sealer_runs, later.seq is not None) == ([2], True)
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()


def test_sealing_comes_before_django_closes_the_connection() -> None:
    receivers, _async = request_finished._live_receivers(None)

    assert receivers.index(audit_seal_sent_response) < receivers.index(close_old_connections)
