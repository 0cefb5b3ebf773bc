from django.contrib.auth.models import Group

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role
from tests.factories import UserFactory


def test_the_migration_creates_one_group_per_role(db: None) -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Staff",
        "Coordinator",
        "Administrator",
    }


def test_administrators_hold_the_platform_permissions(administrator: User) -> None:
    assert administrator.has_perm("accounts.reset_second_factor")
    assert administrator.has_perm("audit.view_auditevent")


def test_staff_hold_none_of_them(staff: User) -> None:
    assert not staff.has_perm("accounts.reset_second_factor")


def test_each_role_includes_the_ones_below(coordinator: User) -> None:
    assert has_role(coordinator, Role.STAFF)
    assert has_role(coordinator, Role.COORDINATOR)
    assert not has_role(coordinator, Role.ADMINISTRATOR)


def test_the_highest_group_counts(db: None) -> None:
    user = UserFactory(role=Role.STAFF)
    user.groups.add(Group.objects.get(name="Administrator"))

    assert User.objects.get(pk=user.pk).role == Role.ADMINISTRATOR


def test_an_inactive_user_holds_no_role(inactive: User) -> None:
    assert not has_role(inactive, Role.STAFF)
