import re

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCode, User
from safespaces.audit.models import AuditEvent
from tests.factories import PASSWORD


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def start(client: Client, user: User) -> TOTPDevice:
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    client.get("/login/enrol/")
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_it_shows_a_local_qr_code_and_the_secret(client: Client, unverified: User) -> None:
    client.post("/login/", {"username": "noor", "password": PASSWORD})

    response = client.get("/login/enrol/")

    assert response.status_code == 200
    assert b"<svg" in response.content
    assert b"http" not in response.content.split(b"<svg", 1)[1].split(b"</svg>")[0].replace(
        b"http://www.w3.org", b""
    )
    assert b"Type this key instead" in response.content


def test_the_same_pending_device_is_shown_until_confirmed(client: Client, unverified: User) -> None:
    first = start(client, unverified)
    client.get("/login/enrol/")

    assert TOTPDevice.objects.filter(user=unverified).count() == 1
    assert TOTPDevice.objects.get(user=unverified).pk == first.pk


def test_confirming_shows_ten_backup_codes_once_and_stores_only_hashes(
    client: Client, unverified: User
) -> None:
    device = start(client, unverified)

    response = client.post("/login/enrol/", {"code": code_for(device)})

    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.content.decode())
    assert len(codes) == 10
    stored = list(
        BackupCode.objects.filter(device__user=unverified).values_list("digest", flat=True)
    )
    assert len(stored) == 10
    assert not set(codes) & set(stored)
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_ENROLLED).count() == 1


def test_a_wrong_code_keeps_the_device_pending(client: Client, unverified: User) -> None:
    device = start(client, unverified)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post("/login/enrol/", {"code": wrong})

    assert response.status_code == 200
    assert b"did not match" in response.content
    device.refresh_from_db()
    assert device.confirmed is False


def test_a_malformed_code_is_explained(client: Client, unverified: User) -> None:
    start(client, unverified)

    response = client.post("/login/enrol/", {"code": "12ab"})

    assert b"Enter the 6 digits" in response.content


def test_someone_with_a_second_factor_cannot_enrol_another_with_the_password_alone(
    client: Client, staff: User
) -> None:
    client.post("/login/", {"username": "lin", "password": PASSWORD})

    response = client.get("/login/enrol/")

    assert response["Location"] == "/login/verify/"
    assert TOTPDevice.objects.filter(user=staff, confirmed=False).count() == 0


def test_another_session_with_the_password_gets_a_secret_of_its_own(unverified: User) -> None:
    victim, intruder = Client(), Client()
    victims_device = start(victim, unverified)

    intruders_device = start(intruder, unverified)

    assert intruders_device.key != victims_device.key
    assert not TOTPDevice.objects.filter(pk=victims_device.pk).exists()


def test_a_secret_seen_in_another_session_never_becomes_the_second_factor(
    unverified: User,
) -> None:
    intruder, victim = Client(), Client()
    seen_by_intruder = start(intruder, unverified)
    victims_device = start(victim, unverified)

    victim.post("/login/enrol/", {"code": code_for(victims_device)})

    confirmed = TOTPDevice.objects.get(user=unverified, confirmed=True)
    assert confirmed.key == victims_device.key != seen_by_intruder.key
