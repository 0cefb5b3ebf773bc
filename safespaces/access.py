"""Who may use a view. Every view declares one rule with `@access(...)`; nothing else is allowed.

Login is required by middleware for everything that is not PUBLIC, a second factor for everything
that is neither PUBLIC nor PASSWORD_ONLY, and the role here. A view without a rule is refused at
run time (see SecondFactorMiddleware) and fails the authorization test over all URLs.

A view of one object (a URL with a `code`) also names the helper that finds it for the user,
`@access(Access.COORDINATOR, of=get_situation_for_user)`: whoever may not see the object gets 404
before their role is checked, so no answer tells them it exists.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeGuard, TypeVar, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record


class Access(StrEnum):
    PUBLIC = "public"  # anyone: login, health check, quick exit
    PASSWORD_ONLY = "password_only"  # noqa: S105 - a rule name. Password given, no second factor yet
    SIGNED_IN = "signed_in"  # both factors, any role: home, own account
    STAFF = "staff"
    COORDINATOR = "coordinator"
    ADMINISTRATOR = "administrator"


ROLE_FOR_RULE = {
    Access.STAFF: Role.STAFF,
    Access.COORDINATOR: Role.COORDINATOR,
    Access.ADMINISTRATOR: Role.ADMINISTRATOR,
}
NEEDS_SECOND_FACTOR = {Access.SIGNED_IN, *ROLE_FOR_RULE}

V = TypeVar("V")


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind the login: every rule but PUBLIC guarantees a signed-in user,
    so such views annotate their request with this type and need no check for AnonymousUser."""

    user: User


def signed_in(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """Whether someone is signed in, for code that runs before or around the access rules
    (middleware): after this check the request's user is a User."""
    return request.user.is_authenticated


def past_both_factors(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """Whether someone is signed in with both factors, for what draws a page: an error page may
    be drawn before authentication or the second factor's middleware has run (a form refused
    by the CSRF check), with a user that has no is_verified yet, or none."""
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and getattr(user, "is_verified", lambda: False)())


# Every request runs in one transaction (ATOMIC_REQUESTS), and none takes an app-wide lock: an
# audit event is inserted under no lock and sealed into the chain after commit
# (safespaces.audit.services.audit_seal), so audited writes wait only for the rows they
# themselves touch, and the trail adds no lock to order against theirs.


def forbidden(request: HttpRequest) -> HttpResponse:
    # A response, not PermissionDenied: raising would roll back the audit row with the request.
    audit_record(
        action=AuditEvent.Action.PERMISSION_DENIED,
        actor=request.user,
        object_type="url",
        object_id=(request.resolver_match.view_name if request.resolver_match else "")[:64],
    )
    return render(request, "403.html", status=403)


# The access helper of an object type: `get_<x>_for_user(request, code)` returns the object with
# what the user may do with it, or raises Http404 for anyone who may not see it.
Helper = Callable[[AuthenticatedHttpRequest, Any], object]


def access(rule: Access, *, of: Helper | None = None) -> Callable[[V], V]:
    """Declare who may use a view function or class-based view. Put it outermost.

    With `of`, the URL's `code` names one object: the helper looks it up first (404 for anyone
    who may not see it, whatever their role), the role is checked next (403), and the view is
    called with what the helper returned in place of `code`, so the object is loaded once.
    Login and the second factor are checked before any of this, by middleware.
    """

    def decorate(view: Any) -> Any:
        if isinstance(view, type):
            method_decorator(access(rule, of=of), name="dispatch")(view)
            return view

        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if of is not None:
                # A plain read, before the role check: an outsider's answer must not depend
                # on their role. Middleware has let only signed-in people this far.
                found = of(cast(AuthenticatedHttpRequest, request), kwargs.pop("code"))
                args = (found, *args)
            role = ROLE_FOR_RULE.get(rule)
            if role is not None and not has_role(request.user, role):
                return forbidden(request)
            return view(request, *args, **kwargs)

        checked.access_rule = rule  # type: ignore[attr-defined]
        checked.access_helper = of  # type: ignore[attr-defined]
        # Read by Django's LoginRequiredMiddleware.
        checked.login_required = rule is not Access.PUBLIC  # type: ignore[attr-defined]
        return checked

    return decorate


def access_rule_of(view_func: Callable[..., Any]) -> Access | None:
    return getattr(view_func, "access_rule", None)


def access_helper_of(view_func: Callable[..., Any]) -> Helper | None:
    """The helper a view of one object names with `of=`, or None."""
    return getattr(view_func, "access_helper", None)
