"""Changes to an account notify its owner, in the app and by their channels (always on)."""

import time_machine
from django.core import mail
from django.test import Client, override_settings
from django_tasks.backends.dummy import DummyBackend

from safespaces.accounts.models import User
from safespaces.notifications.models import Address, Notification
from tests.conftest import local, sign_in, sign_in_through_the_form
from tests.factories import PASSWORD
from tests.notifications.conftest import run_queued


def kinds_for(user: User) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_signing_in_notifies_the_owner_by_email(
    client: Client, queue: DummyBackend, staff: User, other_staff: User
) -> None:
    Address.objects.create(user=staff, email="lin@example.org")
    with override_settings(EMAIL_URL="smtp://mail.example.org"):
        with time_machine.travel(local(2026, 5, 4, 9, 0), tick=False):
            sign_in_through_the_form(client, staff)
        run_queued(queue)

    assert kinds_for(staff) == ["account.sign_in"]
    assert Notification.objects.get(recipient=staff).link == "/account/"
    assert kinds_for(other_staff) == []
    [sent] = mail.outbox
    assert sent.to == ["lin@example.org"]
    assert "a new sign-in to your account" in sent.subject


def test_a_password_change_notifies_the_owner(client: Client, staff: User) -> None:
    response = sign_in(client, staff).post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a fresh long passphrase 42",
            "new_password2": "a fresh long passphrase 42",
        },
    )

    assert response.status_code == 302
    assert kinds_for(staff) == ["account.password_changed"]


def test_new_backup_codes_notify_the_owner(client: Client, staff: User) -> None:
    response = sign_in(client, staff).post("/account/backup-codes/", {"password": PASSWORD})

    assert response.status_code == 200
    assert kinds_for(staff) == ["account.backup_codes"]


def test_a_second_factor_reset_notifies_the_owner_not_the_administrator(
    client: Client, staff: User, administrator: User
) -> None:
    response = sign_in(client, administrator).post(f"/users/{staff.pk}/reset-second-factor/")

    assert response.status_code == 302
    assert kinds_for(staff) == ["account.second_factor_reset"]
    assert kinds_for(administrator) == []
