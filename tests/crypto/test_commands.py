"""The rotate_keys and verify_encryption management commands, on the real encrypted models."""

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.crypto import services
from safespaces.crypto.cipher import is_binary, key_id_of, seal
from safespaces.crypto.keys import new_key
from tests.crypto.support import raw_value, write_raw
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("db")

OLD_KEY, NEW_KEY = new_key(), new_key()
OLD_RING = f"k1:{OLD_KEY}"
ROTATING_RING = f"k2:{NEW_KEY},k1:{OLD_KEY}"
NEW_RING = f"k2:{NEW_KEY}"


def run(command: str) -> tuple[str, str]:
    """Run a command; return what it wrote to stdout and stderr."""
    stdout, stderr = StringIO(), StringIO()
    call_command(command, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def stored_tokens() -> list[bytes]:
    """Every stored display name as the raw column holds it, in primary-key order."""
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT display_name FROM {table} ORDER BY id")  # noqa: S608 - quoted
        return [bytes(token) for (token,) in cursor.fetchall() if token is not None]


def stored_key_ids() -> list[str]:
    return sorted(key_id_of(token) for token in stored_tokens())


def people(count: int) -> list[User]:
    return [UserFactory(display_name=f"Person {n}") for n in range(count)]


# --- rotate_keys --------------------------------------------------------------------------------


def test_rotate_keys_re_encrypts_every_value_under_the_new_primary_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small batches, so the walk crosses batch boundaries.
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        users = people(5)
    assert stored_key_ids() == ["k1"] * 5

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING_RING):
        out, _ = run("rotate_keys")

    assert stored_key_ids() == ["k2"] * 5
    assert (
        "Rows checked: 5. Rows re-encrypted: 5. Values re-encrypted: 5. Primary key: 'k2'." in out
    )
    # The old key can go: every value opens under the new one alone.
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW_RING):
        assert {User.objects.get(pk=user.pk).display_name for user in users} == {
            f"Person {n}" for n in range(5)
        }


def test_rotate_keys_prints_no_values() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        people(2)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING_RING):
        out, err = run("rotate_keys")

    assert "Person" not in out + err


def test_a_second_rotation_re_encrypts_nothing() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        people(3)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING_RING):
        run("rotate_keys")
        tokens = stored_tokens()
        out, _ = run("rotate_keys")

    assert "Rows checked: 3. Rows re-encrypted: 0. Values re-encrypted: 0." in out
    assert "Every value was already under the primary key." in out
    # Skipped rows are left untouched, not re-sealed.
    assert stored_tokens() == tokens


def write_as_text(user: User, display_name: str) -> str:
    """Store a display name as values were sealed before they were bytes: base64 text bound to
    the row's key as text. Postgres holds the text's bytes, as its migration left them."""
    token = seal(
        display_name.encode(),
        associated_data=f"accounts.User\x1fdisplay_name\x1f{user.pk}".encode(),
    )
    as_stored = token.encode() if connection.vendor == "postgresql" else token
    write_raw(User, "display_name", user.pk, as_stored)
    return token


def test_a_value_sealed_as_text_opens_and_rotation_stores_it_as_bytes() -> None:
    user = UserFactory(display_name="Placeholder")
    token = write_as_text(user, "Amina Yusuf")

    assert User.objects.get(pk=user.pk).display_name == "Amina Yusuf"
    out, _ = run("rotate_keys")

    assert "Rows re-encrypted: 1. Values re-encrypted: 1." in out
    stored = raw_value(User, "display_name", user.pk)
    assert is_binary(stored) and stored != token.encode()
    assert User.objects.get(pk=user.pk).display_name == "Amina Yusuf"


def test_an_interrupted_rotation_resumes_where_it_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 1)

    class Interrupted(Exception):
        pass

    def stop(rows: int) -> None:
        raise Interrupted

    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        people(3)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING_RING):
        with pytest.raises(Interrupted):
            services.keys_rotate(progress=stop)  # stops after the first batch: one row
        assert stored_key_ids() == ["k1", "k1", "k2"]

        out, _ = run("rotate_keys")

    assert "Rows checked: 3. Rows re-encrypted: 2. Values re-encrypted: 2." in out
    assert stored_key_ids() == ["k2"] * 3


def test_a_rotation_commits_once_per_batch_not_once_per_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        people(7)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING_RING):
        with CaptureQueriesContext(connection) as queries:
            result = services.keys_rotate()

    # Each transaction is a savepoint inside the test's own: 7 rows in batches of 3 take 3.
    savepoints = [q for q in queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 3
    assert (result.rows_checked, result.rows_rewritten) == (7, 7)
    assert stored_key_ids() == ["k2"] * 7


def test_rotate_keys_records_an_audit_event() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        people(1)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING_RING):
        run("rotate_keys")

    event = AuditEvent.objects.get(action=AuditEvent.Action.KEY_ROTATION)
    assert (event.object_type, event.object_id, event.fields) == ("crypto.key", "k2", [])


# --- verify_encryption --------------------------------------------------------------------------


def test_verify_encryption_passes_on_good_data() -> None:
    people(3)

    out, err = run("verify_encryption")

    assert "Values checked: 3. Failures: 0." in out
    assert err == ""


def test_verify_encryption_passes_on_a_mix_of_old_and_new_keys() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        people(2)
    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING_RING):
        people(1)

        out, _ = run("verify_encryption")

    assert "Values checked: 3. Failures: 0." in out


CORRUPTIONS = {
    "copied from another row": lambda token, other: other,
    "truncated": lambda token, other: token[:10],
    "not a sealed value": lambda token, other: b"%%%",
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS)
def test_verify_encryption_names_the_value_that_fails_without_showing_it(
    corrupt: Callable[[bytes, bytes], bytes],
) -> None:
    amina, rosa, lin = (
        UserFactory(display_name=name) for name in ("Amina Yusuf", "Rosa Diaz", "Lin Chen")
    )
    token = raw_value(User, "display_name", rosa.pk)
    bad = corrupt(token, raw_value(User, "display_name", amina.pk))
    write_raw(User, "display_name", rosa.pk, bad)

    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 values could not be decrypted") as error:
        call_command("verify_encryption", stdout=stdout, stderr=stderr)

    assert f"accounts.User {rosa.pk} display_name" in stderr.getvalue()
    assert "Values checked: 3. Failures: 1." in stdout.getvalue()
    shown = stdout.getvalue() + stderr.getvalue() + str(error.value)
    for secret in ("Amina", "Rosa", "Lin", repr(token), token.hex(), repr(bad), bad.hex()):
        assert secret not in shown


def test_verify_encryption_catches_an_old_key_removed_too_early() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        (user,) = people(1)

    stdout, stderr = StringIO(), StringIO()
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW_RING):
        with pytest.raises(CommandError):
            call_command("verify_encryption", stdout=stdout, stderr=stderr)

    assert f"accounts.User {user.pk} display_name: key 'k1' is not in" in stderr.getvalue()


def test_an_edit_saved_while_the_rotation_runs_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    with override_settings(FIELD_ENCRYPTION_KEYS=OLD_RING):
        first, second = sorted(people(2), key=lambda user: user.pk)

    edits: list[int] = []

    def edit_the_second_after_the_first(rows: int) -> None:
        if not edits:
            user = User.objects.get(pk=second.pk)
            user.display_name = "Edited meanwhile"
            user.save()
            edits.append(1)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING_RING):
        services.keys_rotate(progress=edit_the_second_after_the_first)
        kept = User.objects.get(pk=second.pk).display_name

    assert kept == "Edited meanwhile"
    assert stored_key_ids() == ["k2"] * 2
