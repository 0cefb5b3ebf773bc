import pytest

from safespaces.notifications.kinds import Kind, Urgency, kind_of, kinds, register
from tests.notifications.conftest import CHECK_IN_OVERDUE


def test_an_app_registers_a_kind_and_the_platform_knows_it() -> None:
    assert kind_of("tests.check_in_overdue") == CHECK_IN_OVERDUE
    assert CHECK_IN_OVERDUE in kinds()


def test_registering_the_same_kind_twice_is_harmless() -> None:
    register(CHECK_IN_OVERDUE)

    assert [k for k in kinds() if k.key == CHECK_IN_OVERDUE.key] == [CHECK_IN_OVERDUE]


def test_another_kind_under_a_taken_key_is_refused() -> None:
    other = Kind(CHECK_IN_OVERDUE.key, "Other", Urgency.NORMAL, "something else")

    with pytest.raises(ValueError, match="already registered"):
        register(other)
    assert kind_of(CHECK_IN_OVERDUE.key) == CHECK_IN_OVERDUE


def test_the_platform_registers_its_security_kinds() -> None:
    keys = {
        "account.sign_in",
        "account.password_changed",
        "account.second_factor_reset",
        "account.backup_codes",
    }

    assert {kind.key for kind in kinds() if kind.urgency is Urgency.SECURITY} >= keys
    assert kind_of("nobody.registered.this") is None


def test_urgent_and_security_kinds_come_first() -> None:
    order = [kind.urgency for kind in kinds()]

    assert order.index(Urgency.URGENT) < order.index(Urgency.NORMAL)
    assert order.index(Urgency.SECURITY) < order.index(Urgency.NORMAL)
