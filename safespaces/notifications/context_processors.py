from django.http import HttpRequest

from safespaces.access import past_both_factors
from safespaces.notifications.selectors import unread_count


def unread(request: HttpRequest) -> dict[str, object]:
    """The number of unread notifications for the header: one COUNT, made only when a page
    draws the header for someone past both factors."""
    if not past_both_factors(request):
        return {}
    count: list[int] = []

    def once() -> int:
        if not count:
            count.append(unread_count(request.user))
        return count[0]

    return {"notifications_unread": once}
