"""Who may use a view. Every view declares one rule with `@access(...)`; nothing else is allowed.

Login is required by middleware for everything that is not PUBLIC, a second factor for everything
that is neither PUBLIC nor PASSWORD_ONLY, and the role here. A view without a rule is refused at
run time (see SecondFactorMiddleware) and fails the authorization test over all URLs.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator

from safespaces.accounts.roles import Role, has_role
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_chain_lock, audit_record


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

# Requests that write nothing but audit events (as CSRF protection counts them); any other
# method may write. Every request runs in one transaction (ATOMIC_REQUESTS).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def forbidden(request: HttpRequest) -> HttpResponse:
    # A response, not PermissionDenied: raising would roll back the audit row with the request.
    audit_record(
        action=AuditEvent.Action.PERMISSION_DENIED,
        actor=request.user,
        object_type="url",
        object_id=(request.resolver_match.view_name if request.resolver_match else "")[:64],
    )
    return render(request, "403.html", status=403)


def access(rule: Access) -> Callable[[V], V]:
    """Declare who may use a view function or class-based view. Put it outermost."""

    def decorate(view: Any) -> Any:
        if isinstance(view, type):
            method_decorator(access(rule), name="dispatch")(view)
            return view

        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in SAFE_METHODS:
                # Before the view locks or writes any row, so audited writes cannot deadlock
                # (see audit_chain_lock). Safe methods write nothing but their audit event.
                audit_chain_lock()
            role = ROLE_FOR_RULE.get(rule)
            if role is not None and not has_role(request.user, role):
                return forbidden(request)
            return view(request, *args, **kwargs)

        checked.access_rule = rule  # type: ignore[attr-defined]
        # Read by Django's LoginRequiredMiddleware.
        checked.login_required = rule is not Access.PUBLIC  # type: ignore[attr-defined]
        return checked

    return decorate


def access_rule_of(view_func: Callable[..., Any]) -> Access | None:
    return getattr(view_func, "access_rule", None)
