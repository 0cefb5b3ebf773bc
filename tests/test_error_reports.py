"""Error reports, the debug page included, never print a key or the plaintext handed to the
functions that seal, index or chain; they still name the function that failed."""

import base64
import html
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.views.debug import ExceptionReporter

from incidents.attachments import open_file, seal_file
from incidents.models import Incident
from safespaces.audit.chain import event_mac
from safespaces.crypto.blind_index import blind_index
from safespaces.crypto.cipher import key_ring, seal
from safespaces.crypto.keys import key_problems, new_key

TESTS = str(Path(__file__).parent)
STARS = "'********************'"
CANARY = "Canary-8f3a plaintext of a survivor's account"


def raw(key: str) -> bytes:
    return base64.urlsafe_b64decode(key.encode() + b"==")


@override_settings(DEBUG=True)
def debug_page_text(call: Callable[[], Any]) -> str:
    """The debug page of the exception `call` raises, unescaped, from the first frame outside
    the tests (whose own variables hold the keys they pass)."""
    with pytest.raises(Exception) as raised:  # noqa: B017, PT011 - each test provokes its own
        call()
    traceback = raised.tb
    while traceback is not None and traceback.tb_frame.f_code.co_filename.startswith(TESTS):
        traceback = traceback.tb_next
    error = raised.value.with_traceback(traceback)  # read instead of `traceback` when chained
    request = RequestFactory().post("/")
    reporter = ExceptionReporter(request, raised.type, error, traceback, is_email=False)
    return html.unescape(reporter.get_traceback_html())


def shown_values(report: str, variable: str) -> list[str]:
    """What the page shows for `variable`, in every frame that has one."""
    row = rf'<td>{variable}</td>\s*<td class="code"><pre>(.*?)</pre>'
    return re.findall(row, report, flags=re.DOTALL)


def assert_hidden(
    report: str, *, function: str, variables: list[str], secrets: list[str | bytes]
) -> None:
    assert f", in {function}\n" in report
    for variable in variables:
        assert set(shown_values(report, variable)) == {STARS}
    for secret in secrets:
        assert (repr(secret) if isinstance(secret, bytes) else secret) not in report


def test_the_blind_index_key_is_not_in_the_report() -> None:
    report = debug_page_text(lambda: blind_index(12345, purpose="phone"))  # type: ignore[arg-type]

    key = settings.BLIND_INDEX_KEY
    assert_hidden(
        report, function="blind_index", variables=["key", "value"], secrets=[key, raw(key)]
    )


def test_the_audit_key_is_not_in_the_report() -> None:
    def broken_event() -> str:
        return event_mac(
            seq=1,
            at=None,  # type: ignore[arg-type]
            actor_id=None,
            action="login",
            object_type="",
            object_id="",
            fields=[],
            prev_mac="0" * 64,
        )

    report = debug_page_text(broken_event)

    key = settings.AUDIT_KEY
    assert_hidden(report, function="event_mac", variables=["key"], secrets=[key, raw(key)])


def test_field_keys_are_not_in_the_report_when_one_of_them_is_malformed() -> None:
    good = new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k2:{good},k1:shorty"):
        report = debug_page_text(key_ring)

    assert "key 'k1' must decode to 32 bytes, got 4" in report
    assert_hidden(
        report, function="parse_field_keys", variables=["value", "keys"], secrets=[good, raw(good)]
    )
    assert ", in decode_key\n" in report
    assert ", in key_ring\n" in report


def test_the_plaintext_being_sealed_is_not_in_the_report() -> None:
    def broken_seal() -> str:
        return seal(CANARY.encode(), associated_data="not bytes")  # type: ignore[arg-type]

    report = debug_page_text(broken_seal)

    assert_hidden(
        report, function="seal", variables=["plaintext"], secrets=[CANARY, CANARY.encode()]
    )


def test_keys_checked_at_start_up_are_not_in_the_report() -> None:
    audit_key, blind_key = new_key(), new_key()

    def broken_check() -> list[str]:
        return key_problems(
            secret_key=None,  # type: ignore[arg-type]
            field_keys=f"k1:{new_key()}",
            blind_index_key=blind_key,
            audit_key=audit_key,
        )

    report = debug_page_text(broken_check)

    assert_hidden(
        report, function="key_problems", variables=["audit_key"], secrets=[audit_key, blind_key]
    )


def test_an_attachments_key_is_not_in_the_report() -> None:
    file_key = base64.b64encode(raw(new_key())).decode()
    not_its_file = b"\x01" + bytes(40)

    report = debug_page_text(
        lambda: open_file(not_its_file, key=file_key, attachment_id=uuid.uuid4())
    )

    assert "DecryptionError" in report
    assert_hidden(report, function="open_file", variables=["key"], secrets=[file_key])


def test_an_attachments_content_is_not_in_the_report() -> None:
    report = debug_page_text(
        lambda: seal_file(CANARY, attachment_id=uuid.uuid4())  # type: ignore[arg-type]
    )

    assert_hidden(report, function="seal_file", variables=["key", "data"], secrets=[CANARY])


def test_a_value_being_saved_is_not_in_the_report_whatever_function_holds_it() -> None:
    incident = Incident(summary=CANARY)
    incident.pk = None  # a value cannot be sealed without the row's id
    summary = Incident._meta.get_field("summary")

    report = debug_page_text(lambda: summary.seal_value(incident, incident.summary))

    assert_hidden(report, function="seal_value", variables=["value", "instance"], secrets=[CANARY])


def test_posted_free_text_is_not_in_the_report() -> None:
    def failing_view() -> None:
        raise ValueError("the view failed")

    with pytest.raises(ValueError) as raised:
        failing_view()
    request = RequestFactory().post("/incidents/new/", {"description": CANARY})
    reporter = ExceptionReporter(request, raised.type, raised.value, raised.tb, is_email=False)
    with override_settings(DEBUG=True):
        report = html.unescape(reporter.get_traceback_html())

    assert "the view failed" in report and "description" in report
    assert CANARY not in report
