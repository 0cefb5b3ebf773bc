from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from safespaces.accounts.roles import Role, has_role
from safespaces.branding import look_for, neutral_name
from safespaces.navigation import menu_for
from safespaces.uploads import post_limit_in_words
from safespaces.worker.heartbeat import worker_status


@dataclass(frozen=True)
class WorkerAlert:
    """For administrators: no worker is running, so nothing the app should do later gets done."""

    # When a worker was last seen; None when none ever ran.
    since: datetime | None
    # Whether that was today on the organization's clock (then the time alone says when).
    today: bool


def worker_alert_for(request: HttpRequest) -> WorkerAlert | None:
    if not settings.WORKER_HEALTH_CHECKS:
        return None
    if not has_role(getattr(request, "user", None), Role.ADMINISTRATOR):
        return None
    status = worker_status()
    if status.healthy:
        return None
    since = status.last_seen
    today = since is not None and timezone.localdate(since) == timezone.localdate()
    return WorkerAlert(since=since, today=today)


def app(request: HttpRequest) -> dict[str, object]:
    return {
        # The name and icon in the tab and header (safespaces.branding).
        "look": look_for(request),
        # The tab's title while the quick exit is on its way (static/js/quick-exit.js).
        "look_neutral_name": neutral_name(),
        "user_is_coordinator": has_role(getattr(request, "user", None), Role.COORDINATOR),
        "user_is_administrator": has_role(getattr(request, "user", None), Role.ADMINISTRATOR),
        # Worked out only by a page that draws the menu.
        "menu": lambda: menu_for(request),
        # One query, on pages an administrator sees; the template calls it.
        "worker_alert": lambda: worker_alert_for(request),
        # For static/js/post-limit.js, which stops a form that would send more than this.
        "post_limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "post_limit_words": post_limit_in_words,
    }
