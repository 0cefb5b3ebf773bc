"""When a request takes the audit chain's lock (safespaces.access).

The lock is app-wide: on Postgres it is held until the request commits. A request that anyone
can send must not hold it while it checks a password, or a flood of sign-ins holds up every
write; but every request must still take it before it writes or locks a row, so that audited
writes keep one lock order and cannot deadlock.
"""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import base_user
from django.db import connection
from django.test import Client

from safespaces.accounts.models import SetupToken, User
from safespaces.accounts.services import setup_link_issue, user_create
from safespaces.audit import services as audit_services
from tests.conftest import sign_in
from tests.factories import PASSWORD

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR\s+UPDATE\b", re.IGNORECASE)


class Steps(list[str]):
    """What a request did, in order: password checks, chain locks and row writes."""

    def first(self, step: str) -> int:
        return self.index(step) if step in self else len(self)


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[Steps]:
    done = Steps()
    lock_chain = audit_services._lock_chain
    check_password = base_user.check_password

    def chain_locked() -> None:
        done.append("chain locked")
        lock_chain()

    def password_checked(*args: Any, **kwargs: Any) -> bool:
        done.append("password checked")
        return check_password(*args, **kwargs)

    def written(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        result = execute(sql, *args)
        # Noted after it ran: a lock the statement set off inside the app comes first.
        if WRITE.search(sql):
            done.append("row written")
        return result

    monkeypatch.setattr(audit_services, "_lock_chain", chain_locked)
    monkeypatch.setattr(base_user, "check_password", password_checked)
    with connection.execute_wrapper(written):
        yield done


def test_a_failed_sign_in_checks_the_password_before_it_takes_the_chain_lock(
    client: Client, staff: User, steps: Steps
) -> None:
    response = client.post("/login/", {"username": staff.username, "password": "not it"})

    assert response.status_code == 200
    assert b"That username and password do not match" in response.content
    assert steps.first("password checked") < steps.first("chain locked") < len(steps)
    # The throttle's count and the audit event are written under the lock.
    assert steps.first("chain locked") < steps.first("row written") < len(steps)


def test_a_sign_in_checks_the_password_before_it_takes_the_chain_lock(
    client: Client, staff: User, steps: Steps
) -> None:
    response = client.post("/login/", {"username": staff.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/login/verify/"
    assert steps.first("password checked") < steps.first("chain locked")
    assert steps.first("chain locked") < steps.first("row written") < len(steps)


def test_using_a_setup_link_takes_the_chain_lock_before_it_locks_the_link(
    client: Client, administrator: User, steps: Steps
) -> None:
    newcomer = user_create(username="wren", display_name="Wren", role=None, by=administrator)
    _, token = setup_link_issue(user=newcomer, by=administrator)
    steps.clear()

    password = "violet harbour lantern seven"
    response = client.post(
        "/setup/", {"token": token, "new_password1": password, "new_password2": password}
    )

    assert response.status_code == 302
    assert SetupToken.objects.get().used_at is not None
    assert steps.first("chain locked") < steps.first("row written") < len(steps)


def test_a_signed_in_post_takes_the_chain_lock_before_its_view_writes(
    client: Client, staff: User, steps: Steps
) -> None:
    sign_in(client, staff)
    steps.clear()

    response = client.post("/incidents/new/", {"save_draft": "1", "summary": "Followed"})

    assert response.status_code == 302
    assert steps[0] == "chain locked"
    assert "row written" in steps
