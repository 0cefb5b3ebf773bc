"""Who may see which actor: actors_visible_to asks the database, actor_visible asks an actor
already read. The two must give the same answer for every role, stance and archive state."""

import pytest

from allies.models import Actor, Stance
from allies.selectors import actor_visible, actors_visible_to
from safespaces.accounts.models import User
from tests.factories import ActorFactory


@pytest.fixture
def actors(db: None) -> list[Actor]:
    def actor(stance: str, archived: bool) -> Actor:
        current_ally = stance == Stance.ALLY and not archived
        # Trust and a place in the directory are for allies only, and the directory for current
        # ones (the table's constraints).
        trust = 4 if stance == Stance.ALLY else None
        return ActorFactory(
            stance=stance, archived=archived, trust=trust, in_directory=current_ally
        )

    return [actor(stance, archived) for stance in Stance.values for archived in (False, True)]


@pytest.mark.parametrize("role", ["staff", "coordinator", "administrator"])
def test_an_actor_already_read_is_visible_as_the_database_says(
    role: str, actors: list[Actor], request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(role)

    in_database = set(actors_visible_to(user).values_list("pk", flat=True))
    already_read = {actor.pk for actor in actors if actor_visible(user, actor)}

    assert already_read == in_database
    # Staff see the current allies only; the others see all eight.
    expected = 1 if role == "staff" else len(actors)
    assert len(in_database) == expected


def test_no_actor_is_not_visible(staff: User, coordinator: User) -> None:
    assert not actor_visible(staff, None)
    assert not actor_visible(coordinator, None)
