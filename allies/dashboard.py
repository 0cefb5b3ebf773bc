"""What the allies add to the home page: who to call in an emergency."""

from django.http import HttpRequest

from safespaces.dashboard import Panel


def directory(request: HttpRequest) -> Panel | None:
    if getattr(request.user, "role", None) is None:
        return None
    return Panel("allies/_home_directory.html")
