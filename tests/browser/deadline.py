"""Let a check-in's time pass, on the browser tests' database, without waiting for it.

Run by a browser test in a subprocess (`python -m tests.browser.deadline USERNAME`), like the
seed: the browser tests never touch the database from the test process. It moves the user's
running check-in's time back so that its grace period ends now, queues the deadline for it as
"I need more time" does for a later one (the deadline queued for the old time then finds nothing
to do), and runs the real worker until nothing is due: the watchers are alerted as they would be
when the time came. Prints, as JSON, each watcher's unread notifications before and after.
"""

import io
import json
import sys
from datetime import timedelta


def main() -> None:
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from checkins.deadlines import lapse_schedule
    from checkins.models import CheckIn
    from safespaces.notifications.selectors import unread_count

    with transaction.atomic():
        check_in = CheckIn.objects.select_for_update().get(
            person__username=sys.argv[1], status=CheckIn.Status.ACTIVE
        )
        due_at = timezone.now() - timedelta(minutes=check_in.grace_minutes)
        CheckIn.objects.filter(pk=check_in.pk).update(due_at=due_at)
        check_in.refresh_from_db()
        lapse_schedule(check_in)
    watchers = list(check_in.watchers.all())
    before = {watcher.username: unread_count(watcher) for watcher in watchers}
    call_command(
        "worker",
        batch=True,
        interval=0,
        startup_delay=False,
        worker_id="browser-test-deadline",
        stdout=io.StringIO(),
    )
    check_in.refresh_from_db()
    after = {watcher.username: unread_count(watcher) for watcher in watchers}
    json.dump({"status": check_in.status, "before": before, "after": after}, sys.stdout)


if __name__ == "__main__":
    main()
