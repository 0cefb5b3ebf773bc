import re

import time_machine
from django.test import Client

from safespaces.accounts.models import User
from safespaces.accounts.services import backup_codes_regenerate
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD


def test_it_says_how_many_codes_are_left(client: Client, staff: User) -> None:
    backup_codes_regenerate(user=staff)

    response = sign_in(client, staff).get("/account/backup-codes/")

    assert b"10 unused backup codes" in response.content


def test_new_codes_need_the_password_and_replace_the_old_ones(client: Client, staff: User) -> None:
    old = backup_codes_regenerate(user=staff)
    sign_in(client, staff)

    refused = client.post("/account/backup-codes/", {"password": "wrong"})
    response = client.post("/account/backup-codes/", {"password": PASSWORD})

    assert b"not your current password" in refused.content
    new = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    retry = Client()
    retry.post("/login/", {"username": "lin", "password": PASSWORD})
    with time_machine.travel("2026-11-20 10:00", tick=False) as clock:
        assert retry.post("/login/verify/", {"code": old[0]}).status_code == 200
        clock.shift(5)  # past the back-off after a failure
        assert retry.post("/login/verify/", {"code": new[0]})["Location"] == "/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.BACKUP_CODES_CREATED).count() == 2


def test_new_codes_end_the_users_other_sessions(staff: User) -> None:
    elsewhere = sign_in(Client(), staff)
    here = sign_in(Client(), staff)

    here.post("/account/backup-codes/", {"password": PASSWORD})

    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/")["Location"] == "/login/"
