"""Keys that do not open the database's data are found before serving, with a reason that names
the variable and never the key."""

import base64

import pytest
from django.test import Client, override_settings

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record, audit_seal
from safespaces.crypto import keycheck
from safespaces.crypto.checks import check_keys_open_the_data
from safespaces.crypto.keycheck import field_keys_status, keys_status
from safespaces.crypto.models import KeyCheck
from safespaces.places.models import Place
from tests.crypto.support import raw_value, write_raw
from tests.factories import PlaceFactory

RIGHT = base64.urlsafe_b64encode(b"r" * 32).decode()
WRONG = base64.urlsafe_b64encode(b"x" * 32).decode()
OTHER = base64.urlsafe_b64encode(b"o" * 32).decode()
PAGE = b"The encryption keys do not open this database&#x27;s data."


@pytest.fixture(autouse=True)
def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a fresh process would: nothing checked yet."""
    monkeypatch.setattr(keycheck, "_fits", None)


@pytest.fixture
def place(db: None) -> Place:
    """A place whose name is sealed under the right key, before there were key checks."""
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{RIGHT}"):
        return PlaceFactory()


def test_the_right_key_fits_and_gets_its_key_check(place: Place) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{RIGHT}"):
        assert field_keys_status() is None

    assert list(KeyCheck.objects.values_list("key_id", flat=True)) == ["k1"]


def test_a_wrong_key_is_found_by_its_key_check(place: Place) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{RIGHT}"):
        field_keys_status()

    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{WRONG}"):
        problem = field_keys_status()

    assert problem == "FIELD_ENCRYPTION_KEYS: key 'k1' does not open this database's key check"
    assert WRONG not in problem


def test_a_wrong_key_is_found_in_data_stored_before_key_checks(place: Place) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{WRONG}"):
        problem = field_keys_status()

    assert problem == "FIELD_ENCRYPTION_KEYS: key 'k1' does not open the stored values"
    # A wrong key is never recorded as the right one.
    assert KeyCheck.objects.count() == 0
    assert Place.objects.count() == 1


def test_a_lost_key_is_found_when_fresh_keys_were_generated(place: Place) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k2:{OTHER}"):
        problem = field_keys_status()

    assert problem == (
        "stored values are sealed under key 'k1', which FIELD_ENCRYPTION_KEYS does not hold"
    )
    assert KeyCheck.objects.count() == 0


def test_an_empty_database_takes_any_key(db: None) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k2:{OTHER},k1:{RIGHT}"):
        assert field_keys_status() is None

    assert set(KeyCheck.objects.values_list("key_id", flat=True)) == {"k1", "k2"}


def test_a_key_retired_after_rotation_is_not_asked_for(place: Place) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{RIGHT}"):
        field_keys_status()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k2:{OTHER},k1:{RIGHT}"):
        place.name = place.name  # re-sealed under the new primary key k2
        place.save()
        field_keys_status()

    with override_settings(FIELD_ENCRYPTION_KEYS=f"k2:{OTHER}"):
        assert field_keys_status() is None

    assert set(KeyCheck.objects.values_list("key_id", flat=True)) == {"k1", "k2"}


def test_pages_are_refused_with_a_503_that_names_the_problem(
    client: Client, administrator: User, place: Place
) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{WRONG}"):
        response = client.get("/login/")

    assert response.status_code == 503
    assert PAGE in response.content
    assert b"Restore the keys from your key backup." in response.content
    # A neutral page, styled like the outage page: it never names the app on a shared screen.
    assert b"SafeSpaces" not in response.content
    assert b"css/app" in response.content


def test_pages_are_served_again_once_the_keys_are_restored(client: Client, place: Place) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{WRONG}"):
        assert client.get("/login/").status_code == 503

    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{RIGHT}"):
        response = client.get("/login/")

    assert response.status_code == 200
    assert PAGE not in response.content


def test_the_system_check_with_the_database_reports_wrong_keys(place: Place) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{WRONG}"):
        errors = check_keys_open_the_data(databases=["default"])
        unasked = check_keys_open_the_data()

    assert [error.id for error in errors] == ["crypto.E003"]
    assert "key backup" in errors[0].msg
    assert unasked == []
    assert KeyCheck.objects.count() == 0


def test_keys_status_reports_the_field_keys_then_the_audit_key(administrator: User) -> None:
    # The administrator's account is sealed under the configured keys.
    audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
    audit_seal()  # on Postgres a test's transaction never commits, so nothing sealed it
    assert keys_status() is None
    with override_settings(AUDIT_KEY=WRONG):
        assert keys_status() == "AUDIT_KEY does not match the audit trail's last entry"
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{WRONG}"):
        assert keys_status() == (
            "FIELD_ENCRYPTION_KEYS: key 'k1' does not open this database's key check"
        )


def test_one_damaged_value_does_not_count_as_a_wrong_key(db: None) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{RIGHT}"):
        office, shelter = PlaceFactory(), PlaceFactory()
        # Sealed for another row: it does not open here, as after tampering.
        write_raw(Place, "name", shelter.pk, raw_value(Place, "name", office.pk))

        assert field_keys_status() is None

    assert list(KeyCheck.objects.values_list("key_id", flat=True)) == ["k1"]
