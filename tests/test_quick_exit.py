from django.test import Client, override_settings

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in


@override_settings(QUICK_EXIT_URL="https://neutral.example/weather")
def test_it_ends_the_session_and_goes_to_the_neutral_site(client: Client, staff: User) -> None:
    sign_in(client, staff)

    response = client.get("/exit/")

    assert response.status_code == 302
    assert response["Location"] == "https://neutral.example/weather"
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "no-store" in response["Cache-Control"]
    assert client.get("/")["Location"] == "/login/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.QUICK_EXIT, actor=staff).count() == 1


def test_it_works_for_someone_not_signed_in(client: Client, db: None) -> None:
    response = client.get("/exit/")

    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_every_page_offers_the_quick_exit(client: Client, staff: User) -> None:
    for page in [client.get("/login/"), sign_in(client, staff).get("/")]:
        assert b"data-quick-exit" in page.content
        assert b"js/quick-exit.js" in page.content
