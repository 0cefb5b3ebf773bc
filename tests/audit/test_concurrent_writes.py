"""Audited writes that meet on one record neither deadlock nor lose each other (Postgres).

Every round, the reporter saves her incident while a coordinator adds a line to its timeline,
both through the real views, each on its own connection. When appending took an app-wide lock
at the append, one of them sometimes held the incident's row and waited for the lock while the
other held the lock and waited for the row, and Postgres killed one: a 500 and a lost write.
Appends now take no lock at all (events are sealed into the chain after commit); this proves the
pair still meets without a deadlock or a lost write, and the chain verifies afterwards.
"""

import threading
from collections.abc import Callable

from django.db import connection
from django.test import Client

from incidents.models import Incident, TimelineEntry
from safespaces.accounts.models import User
from safespaces.audit.services import audit_chain_verify
from tests.conftest import sign_in
from tests.factories import IncidentFactory
from tests.incidents.test_incident_edit import form_data
from tests.postgres import committing_on_postgres

ROUNDS = 200

pytestmark = committing_on_postgres(
    "SQLite takes its single write lock at BEGIN IMMEDIATE: writers cannot deadlock"
)


Round = Callable[[int], int]  # does round n's request; returns its status code


def in_step(rounds: int, *workers: Round) -> list[list[int]]:
    """Run each worker in a thread of its own (one connection each, as app servers have), all
    starting round n at the same moment; return each worker's status codes.

    A failed request answers 500 (the clients do not raise): the test client hands an exception
    to every client waiting at that moment, which would blame the other request too.
    """
    start = threading.Barrier(len(workers))
    statuses: list[list[int]] = [[] for _ in workers]

    def work(index: int, worker: Round) -> None:
        try:
            for n in range(rounds):
                start.wait()
                statuses[index].append(worker(n))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_an_edit_and_a_timeline_entry_at_the_same_moment_both_succeed(
    staff: User, coordinator: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    reporter = sign_in(Client(raise_request_exception=False), staff)
    team = sign_in(Client(raise_request_exception=False), coordinator)

    def edit(n: int) -> int:
        current = Incident.objects.get(pk=incident.pk)
        data = form_data(current, lessons=f"Lesson {n}")
        return reporter.post(f"/incidents/{incident.pk}/edit/", data).status_code

    def add_note(n: int) -> int:
        data = {"kind": "note", "body": f"Note {n}"}
        return team.post(f"/incidents/{incident.pk}/entries/new/", data).status_code

    edits, notes = in_step(ROUNDS, edit, add_note)

    failed_rounds = sum(pair != (302, 302) for pair in zip(edits, notes, strict=True))
    edits_saved = Incident.objects.get(pk=incident.pk).version - 1
    notes_saved = TimelineEntry.objects.filter(author=coordinator, kind="note").count()
    assert {
        "failed rounds": failed_rounds,
        "lost edits": ROUNDS - edits_saved,
        "lost notes": ROUNDS - notes_saved,
    } == {"failed rounds": 0, "lost edits": 0, "lost notes": 0}
    check = audit_chain_verify()
    assert (check.first_broken_seq, check.pending) == (None, 0)
    assert check.rows_checked >= 2 * ROUNDS
