"""A check-in Lin starts at 21:00 for 22:00, with Sam watching, and how its queued deadlines are
found and run in a test (with frozen time, never slept)."""

from datetime import datetime

import time_machine
from django_tasks_db.models import DBTaskResult

from checkins.deadlines import check_in_escalate, check_in_lapse
from checkins.models import CheckIn
from checkins.services import check_in_start
from safespaces.accounts.models import User
from tests.conftest import local

STARTED = local(2026, 6, 4, 21, 0)
DUE = local(2026, 6, 4, 22, 0)


def start(person: User, watchers: list[User], **changes: object) -> CheckIn:
    fields: dict[str, object] = {
        "activity": "Outreach at the night market with canary-activity",
        "place": None,
        "company": "canary-company",
        "due_at": DUE,
        "every_minutes": None,
        "grace_minutes": 10,
        "situation": None,
    } | changes
    with time_machine.travel(STARTED, tick=False):
        return check_in_start(person=person, watchers=watchers, **fields)  # type: ignore[arg-type]


def queued(task_name: str, check_in: CheckIn) -> list[DBTaskResult]:
    """The deadline tasks of `check_in` still waiting, soonest first."""
    return [
        row
        for row in DBTaskResult.objects.ready().filter(task_path__endswith=task_name)
        if row.args_kwargs["args"][0] == str(check_in.pk)
    ]


def run_deadlines_at(moment: datetime) -> int:
    """Run, at `moment`, every check-in deadline queued for then or before, as a worker would;
    returns how many ran."""
    tasks = {"check_in_lapse": check_in_lapse, "check_in_escalate": check_in_escalate}
    ran = 0
    with time_machine.travel(moment, tick=False):
        for row in DBTaskResult.objects.ready().order_by("run_after"):
            name = row.task_path.rsplit(".", 1)[-1]
            if name in tasks and row.run_after <= moment:
                row.delete()  # claimed
                tasks[name].call(*row.args_kwargs["args"])
                ran += 1
    return ran
