"""audit_chain_verify and the audit_verify command: finding rows altered, removed or slipped in.

To tamper the way someone with raw database access would, a test switches the append-only
triggers off inside its own transaction. DDL is transactional on Postgres and SQLite alike, so the
rollback at the end of the test brings them back; the last test here checks that it did.
"""

import base64
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit.chain import event_mac
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import ChainCheck, audit_chain_verify, audit_record, audit_seal
from safespaces.audit.tasks import audit_seal_pending

# A well-formed key that is not the app's: what someone without AUDIT_KEY would have to use.
WRONG_KEY = base64.urlsafe_b64encode(b"w" * 32).decode()


@pytest.fixture
def chain(administrator: User, staff: User) -> list[AuditEvent]:
    """Three sealed events."""
    audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
    audit_record(action=AuditEvent.Action.VIEW, actor=administrator, target=staff)
    audit_record(action=AuditEvent.Action.LOGOUT, actor=administrator)
    audit_seal()
    return list(AuditEvent.objects.order_by("seq"))


def pending_append(actor: User) -> AuditEvent:
    """An event as a request appends it on Postgres, before any sealer has run."""
    return AuditEvent.objects.create(at=timezone.now(), actor=actor, action="login")


@pytest.fixture
def triggers_off(db: None) -> Iterator[None]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign-key checks on inserted rows are deferred, and ALTER TABLE refuses to run
            # while any are pending on the table: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_only_sealing")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_delete")
        else:
            cursor.execute("DROP TRIGGER audit_only_sealing")
            cursor.execute("DROP TRIGGER audit_no_delete")
    yield


def run_sql(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_it_reports_an_intact_chain_with_the_rows_checked(chain: list[AuditEvent]) -> None:
    assert audit_chain_verify() == ChainCheck(rows_checked=3)


def test_it_seals_pending_rows_before_it_checks_them(
    chain: list[AuditEvent], administrator: User
) -> None:
    pending_append(administrator)

    assert audit_chain_verify() == ChainCheck(rows_checked=4)
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0


def test_it_reports_rows_it_could_not_seal_as_pending(
    chain: list[AuditEvent], administrator: User
) -> None:
    pending_append(administrator)

    # A wrong key seals nothing: the sealed chain is still checked, and the rest counted.
    with override_settings(AUDIT_KEY=WRONG_KEY, AUDIT_KEY_PREVIOUS=""):
        result = audit_chain_verify()

    assert result.pending == 1
    assert result.first_broken_seq == 1  # no configured key opens the chain either
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 1


def test_the_workers_task_seals_what_no_writer_sealed(
    chain: list[AuditEvent], administrator: User
) -> None:
    late = pending_append(administrator)

    assert audit_seal_pending.call() == 1

    late.refresh_from_db()
    assert late.seq == 4
    assert late.prev_mac == chain[-1].mac
    assert audit_chain_verify() == ChainCheck(rows_checked=4)


def test_the_workers_task_seals_nothing_under_a_wrong_key(
    chain: list[AuditEvent], administrator: User, caplog: pytest.LogCaptureFixture
) -> None:
    pending_append(administrator)

    with override_settings(AUDIT_KEY=WRONG_KEY):
        assert audit_seal_pending.call() == 0

    assert AuditEvent.objects.filter(seq__isnull=True).count() == 1
    assert "Refused to write to the audit trail" in caplog.text


def test_it_reports_an_empty_trail_as_intact(db: None) -> None:
    assert audit_chain_verify() == ChainCheck(rows_checked=0)


def test_it_reports_progress_for_every_row(chain: list[AuditEvent]) -> None:
    steps: list[int] = []

    audit_chain_verify(progress=steps.append)

    assert sum(steps) == 3


def test_it_finds_a_row_whose_content_was_altered(
    chain: list[AuditEvent], triggers_off: None
) -> None:
    run_sql("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["search", 2])

    result = audit_chain_verify()

    assert result.first_broken_seq == 2
    assert "altered" in result.reason


def test_it_finds_a_row_whose_fields_were_altered(
    chain: list[AuditEvent], triggers_off: None
) -> None:
    AuditEvent.objects.filter(seq=3).update(fields=["display_name"])

    result = audit_chain_verify()

    assert result.first_broken_seq == 3
    assert "altered" in result.reason


def test_it_finds_rows_missing_from_the_middle(chain: list[AuditEvent], triggers_off: None) -> None:
    run_sql("DELETE FROM audit_auditevent WHERE seq = %s", [2])

    result = audit_chain_verify()

    assert result.first_broken_seq == 3
    assert "missing" in result.reason
    assert result.rows_checked == 2


def test_it_finds_an_altered_row_resealed_without_the_key(
    chain: list[AuditEvent], triggers_off: None
) -> None:
    row = AuditEvent.objects.get(seq=2)
    with override_settings(AUDIT_KEY=WRONG_KEY):
        forged = event_mac(
            seq=row.seq,
            at=row.at,
            actor_id=row.actor_id,
            action=AuditEvent.Action.SEARCH,
            object_type=row.object_type,
            object_id=row.object_id,
            fields=row.fields,
            prev_mac=row.prev_mac,
        )
    run_sql(
        "UPDATE audit_auditevent SET action = %s, mac = %s WHERE seq = %s",
        ["search", forged, 2],
    )

    result = audit_chain_verify()

    assert result.first_broken_seq == 2
    assert "altered" in result.reason


def test_it_finds_a_row_slipped_in_with_a_forged_mac(
    chain: list[AuditEvent], administrator: User
) -> None:
    # Inserting needs no trigger bypass: only the key stands in the way.
    last = chain[-1]
    forged = AuditEvent(
        seq=last.seq + 1,
        at=last.at,
        actor=administrator,
        action=AuditEvent.Action.LOGIN,
        prev_mac=last.mac,
    )
    with override_settings(AUDIT_KEY=WRONG_KEY):
        forged.mac = event_mac(
            seq=forged.seq,
            at=forged.at,
            actor_id=forged.actor_id,
            action=forged.action,
            object_type="",
            object_id="",
            fields=[],
            prev_mac=forged.prev_mac,
        )
    forged.save(force_insert=True)

    result = audit_chain_verify()

    assert result.first_broken_seq == 4
    assert "altered" in result.reason


def test_it_finds_a_row_that_no_longer_links_to_the_one_before(
    chain: list[AuditEvent], triggers_off: None
) -> None:
    run_sql("UPDATE audit_auditevent SET prev_mac = %s WHERE seq = %s", ["f" * 64, 3])

    result = audit_chain_verify()

    assert result.first_broken_seq == 3
    assert "link" in result.reason


def test_the_command_says_the_chain_is_intact_with_the_row_count(
    chain: list[AuditEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("audit_verify")

    assert "The audit chain is intact. Rows checked: 3." in capsys.readouterr().out


def test_the_command_seals_pending_rows_and_counts_them(
    chain: list[AuditEvent], administrator: User, capsys: pytest.CaptureFixture[str]
) -> None:
    pending_append(administrator)

    call_command("audit_verify")

    out = capsys.readouterr().out
    assert "The audit chain is intact. Rows checked: 4." in out
    assert "not yet sealed" not in out


def test_the_command_names_rows_not_yet_sealed(
    chain: list[AuditEvent], administrator: User, capsys: pytest.CaptureFixture[str]
) -> None:
    pending_append(administrator)

    # The chain so far verifies under a previous key, but AUDIT_KEY does not continue it.
    with override_settings(AUDIT_KEY=WRONG_KEY, AUDIT_KEY_PREVIOUS=settings.AUDIT_KEY):
        call_command("audit_verify")

    out = capsys.readouterr().out
    assert "The audit chain is intact. Rows checked: 3." in out
    assert "1 row is not yet sealed" in out


def test_the_command_fails_naming_the_first_broken_row(
    chain: list[AuditEvent], triggers_off: None
) -> None:
    run_sql("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["search", 2])

    with pytest.raises(CommandError, match="broken at row 2: its MAC does not match"):
        call_command("audit_verify")


# Keep this test last in the file: it proves the tampering tests above left no trace.
def test_the_append_only_triggers_are_back_after_the_tampering_tests(
    chain: list[AuditEvent],
) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname, tgenabled FROM pg_trigger "
                "WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
            )
            # "O": enabled in the ordinary way.
            assert set(cursor.fetchall()) == {
                ("audit_only_sealing", "O"),
                ("audit_no_delete", "O"),
                ("audit_no_truncate", "O"),
            }
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
            )
            assert {name for (name,) in cursor.fetchall()} == {
                "audit_only_sealing",
                "audit_no_delete",
            }
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(action=AuditEvent.Action.SEARCH)
