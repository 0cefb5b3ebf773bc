from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from safespaces.access import Access, AuthenticatedHttpRequest, access
from safespaces.accounts.forms import wrong_password_message
from safespaces.accounts.roles import Role, has_role
from safespaces.accounts.services import PasswordCheck, password_confirm
from safespaces.notifications import services
from safespaces.notifications.forms import PreferencesForm
from safespaces.notifications.kinds import kind_of, kinds
from safespaces.notifications.models import Channel
from safespaces.notifications.selectors import (
    address_of,
    failed_attempts,
    get_notification_for_user,
)
from safespaces.notifications.selectors import (
    inbox as inbox_of,
)
from safespaces.notifications.sending import email_configured, webhook_configured

PAGE_SIZE = 25


@access(Access.SIGNED_IN)
@require_safe
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(inbox_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(notification, kind_of(notification.kind)) for notification in page]
    context = {
        "page": page,
        "rows": rows,
        "may_see_failures": has_role(request.user, Role.ADMINISTRATOR),
    }
    return render(request, "notifications/inbox.html", context)


@access(Access.SIGNED_IN)
@require_POST
def read(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark one notification read; with `open`, go on to the page it points to."""
    notification = get_notification_for_user(request, request.POST.get("notification", ""))
    services.notification_read(notification=notification)
    if "open" in request.POST and url_has_allowed_host_and_scheme(
        notification.link, allowed_hosts=None
    ):
        return redirect(notification.link)
    return redirect("notifications:inbox")


@access(Access.SIGNED_IN)
@require_POST
def read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.notifications_read_all(user=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:inbox")


def _channels() -> list[Channel]:
    configured = {Channel.EMAIL: email_configured(), Channel.WEBHOOK: webhook_configured()}
    return [channel for channel, on in configured.items() if on]


@access(Access.SIGNED_IN)
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("password", "email", "relay")
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    shown = [
        kind
        for kind in kinds()
        if not kind.administrators_only or has_role(user, Role.ADMINISTRATOR)
    ]
    address = address_of(user)
    available = services.available_channels(user, address)
    chosen = {kind.key: services.channels_for(user, kind, available=available) for kind in shown}
    form = PreferencesForm(
        request.POST or None,
        kinds=shown,
        channels=_channels(),
        chosen=chosen,
        address=address,
    )
    if request.method == "POST" and form.is_valid():
        if form.addresses_changed():
            check = password_confirm(
                request=request, user=user, password=form.cleaned_data["password"]
            )
            if check is PasswordCheck.SESSION_ENDED:
                messages.error(request, _("Too many wrong passwords: you are signed out."))
                return redirect("accounts:login")
            if check is PasswordCheck.WRONG:
                form.add_error("password", wrong_password_message())
        if form.is_valid():
            services.preferences_save(
                user=user,
                choices=form.choices(),
                email=form.cleaned_data["email"],
                relay=form.cleaned_data["relay"],
            )
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:preferences")
    channels = _channels()
    context = {"form": form, "channels": channels, "email_offered": Channel.EMAIL in channels}
    return render(request, "notifications/preferences.html", context)


@access(Access.ADMINISTRATOR)
@require_safe
def failures(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Deliveries that failed, newest first: kind, channel, recipient, try and error class."""
    page = Paginator(failed_attempts(), 50).get_page(request.GET.get("page"))
    rows = [(attempt, kind_of(attempt.kind)) for attempt in page]
    return render(request, "notifications/failures.html", {"page": page, "rows": rows})
