"""A wrong AUDIT_KEY is refused before it appends, and the key can be rotated with a checkpoint."""

import base64
import logging

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit import services
from safespaces.audit.chain import fingerprint
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import (
    KEY_MISMATCH,
    AuditKeyMismatch,
    ChainCheck,
    audit_chain_verify,
    audit_key_status,
    audit_record,
    audit_seal,
)
from tests.conftest import sign_in

OLD_KEY = base64.urlsafe_b64encode(b"o" * 32).decode()
NEW_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()
WRONG_KEY = base64.urlsafe_b64encode(b"w" * 32).decode()


@pytest.fixture
def trail(administrator: User) -> list[AuditEvent]:
    """Two events written and sealed under the old key."""
    with override_settings(AUDIT_KEY=OLD_KEY):
        audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
        audit_record(action=AuditEvent.Action.LOGOUT, actor=administrator)
        audit_seal()
    return list(AuditEvent.objects.order_by("seq"))


def rotate() -> str:
    with override_settings(AUDIT_KEY=NEW_KEY, AUDIT_KEY_PREVIOUS=OLD_KEY):
        call_command("rotate_audit_key", stdout=(out := _Out()))
    return out.text


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def test_a_wrong_key_is_refused_before_anything_is_appended(
    trail: list[AuditEvent], administrator: User, caplog: pytest.LogCaptureFixture
) -> None:
    with override_settings(AUDIT_KEY=WRONG_KEY), pytest.raises(AuditKeyMismatch):
        audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)

    assert AuditEvent.objects.count() == 2
    assert ("safespaces.audit.services", logging.ERROR) in [
        (record.name, record.levelno) for record in caplog.records
    ]
    with override_settings(AUDIT_KEY=OLD_KEY):
        assert audit_chain_verify() == ChainCheck(rows_checked=2)


def test_the_status_names_a_wrong_key_and_is_quiet_for_the_right_one(
    trail: list[AuditEvent],
) -> None:
    with override_settings(AUDIT_KEY=WRONG_KEY):
        assert audit_key_status() == KEY_MISMATCH
    with override_settings(AUDIT_KEY=OLD_KEY):
        assert audit_key_status() is None


def test_a_request_under_a_wrong_key_gets_the_503_page_and_saves_nothing(
    client: Client, administrator: User
) -> None:
    sign_in(client, administrator)
    audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
    audit_seal()

    with override_settings(AUDIT_KEY=WRONG_KEY):
        response = client.post("/logout/")

    assert response.status_code == 503
    assert b"Restore the audit key from your key backup" in response.content
    assert b"Nothing was saved." in response.content
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["login"]
    assert "_auth_user_id" in client.session  # the sign-out was not done either


def test_after_rotation_the_chain_verifies_across_the_change(
    trail: list[AuditEvent], administrator: User
) -> None:
    output = rotate()
    with override_settings(AUDIT_KEY=NEW_KEY, AUDIT_KEY_PREVIOUS=OLD_KEY):
        audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
        result = audit_chain_verify()

    checkpoint = AuditEvent.objects.get(seq=3)
    assert result == ChainCheck(rows_checked=4)
    assert checkpoint.action == AuditEvent.Action.AUDIT_KEY_ROTATION
    assert checkpoint.object_id == fingerprint(base64.urlsafe_b64decode(NEW_KEY))
    assert "Checkpoint written at row 3" in output


def test_rotating_again_changes_nothing(trail: list[AuditEvent]) -> None:
    rotate()

    output = rotate()

    assert "already continues" in output
    assert AuditEvent.objects.count() == 3


def test_the_old_key_is_refused_after_rotation(
    trail: list[AuditEvent], administrator: User
) -> None:
    rotate()

    with override_settings(AUDIT_KEY=OLD_KEY), pytest.raises(AuditKeyMismatch):
        audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)

    assert AuditEvent.objects.count() == 3


def test_a_wrong_key_is_refused_after_rotation(
    trail: list[AuditEvent], administrator: User
) -> None:
    rotate()
    with override_settings(AUDIT_KEY=NEW_KEY):
        audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)

    with override_settings(AUDIT_KEY=WRONG_KEY), pytest.raises(AuditKeyMismatch):
        audit_record(action=AuditEvent.Action.LOGOUT, actor=administrator)

    assert AuditEvent.objects.count() == 4


def test_verify_names_a_missing_previous_key(trail: list[AuditEvent]) -> None:
    rotate()

    with override_settings(AUDIT_KEY=NEW_KEY, AUDIT_KEY_PREVIOUS=""):
        result = audit_chain_verify()

    assert result.first_broken_seq == 1
    assert "any configured audit key" in result.reason


def test_rotation_without_the_old_key_is_refused(trail: list[AuditEvent]) -> None:
    with override_settings(AUDIT_KEY=NEW_KEY, AUDIT_KEY_PREVIOUS=WRONG_KEY):
        with pytest.raises(CommandError, match="key backup"):
            call_command("rotate_audit_key")

    assert AuditEvent.objects.count() == 2


def test_rotation_seals_rows_still_pending_under_the_old_key_before_its_checkpoint(
    trail: list[AuditEvent], administrator: User
) -> None:
    # Appended under the old key and not sealed yet (on Postgres, sealing follows the commit)
    # when the servers restarted with the new one.
    late = AuditEvent.objects.create(
        at=timezone.now(), actor=administrator, action=AuditEvent.Action.LOGOUT
    )

    output = rotate()

    late.refresh_from_db()
    checkpoint = AuditEvent.objects.get(action=AuditEvent.Action.AUDIT_KEY_ROTATION)
    assert (late.seq, checkpoint.seq) == (3, 4)
    assert checkpoint.prev_mac == late.mac
    assert "Checkpoint written at row 4" in output
    with override_settings(AUDIT_KEY=OLD_KEY):
        assert late.mac == services._mac_of(late)  # sealed under the old key
    with override_settings(AUDIT_KEY=NEW_KEY, AUDIT_KEY_PREVIOUS=OLD_KEY):
        audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
        assert audit_chain_verify() == ChainCheck(rows_checked=5)


def test_a_wrong_key_seals_nothing_and_the_rows_wait_for_the_right_one(
    trail: list[AuditEvent], administrator: User, caplog: pytest.LogCaptureFixture
) -> None:
    late = AuditEvent.objects.create(
        at=timezone.now(), actor=administrator, action=AuditEvent.Action.LOGOUT
    )

    with override_settings(AUDIT_KEY=WRONG_KEY), pytest.raises(AuditKeyMismatch):
        audit_seal()

    late.refresh_from_db()
    assert late.seq is None
    assert KEY_MISMATCH in caplog.text
    with override_settings(AUDIT_KEY=OLD_KEY):
        assert audit_seal() == 1
        assert audit_chain_verify() == ChainCheck(rows_checked=3)
