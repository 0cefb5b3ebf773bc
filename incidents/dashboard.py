"""What the incident book adds to the home page: the way to log an incident, first of all."""

from django.http import HttpRequest

from safespaces.dashboard import Panel


def actions(request: HttpRequest) -> Panel | None:
    # Someone without a role yet may not log anything.
    if getattr(request.user, "role", None) is None:
        return None
    return Panel("incidents/_home_actions.html")
