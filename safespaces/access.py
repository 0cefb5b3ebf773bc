"""Who may use a view. Every view declares one rule with `@access(...)`; nothing else is allowed.

Login is required by middleware for everything that is not PUBLIC, a second factor for everything
that is neither PUBLIC nor PASSWORD_ONLY, and the role here. A view without a rule is refused at
run time (see SecondFactorMiddleware) and fails the authorization test over all URLs.

A view of one object (a URL with a `code`) also names the helper that finds it for the user,
`@access(Access.COORDINATOR, of=get_situation_for_user)`: whoever may not see the object gets 404
before their role is checked, so no answer tells them it exists.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import wraps
from typing import Any, TypeGuard, TypeVar, cast

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator

from safespaces.accounts.models import User
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


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind the login: every rule but PUBLIC guarantees a signed-in user,
    so such views annotate their request with this type and need no check for AnonymousUser."""

    user: User


def signed_in(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """Whether someone is signed in, for code that runs before or around the access rules
    (middleware): after this check the request's user is a User."""
    return request.user.is_authenticated


# Methods that ask for nothing to be changed (as CSRF protection counts them); any other method
# may write. Every request runs in one transaction (ATOMIC_REQUESTS).
#
# The lock order (see audit_chain_lock): the chain's lock comes before any row this transaction
# locks or writes. Unsafe requests of signed-in people take it first thing. Safe requests do not,
# and some of them do write before or without an event: the enrolment page replaces the session's
# pending authenticator (authenticator_enrolment_start), the incident form drops the user's expired
# draft (draft_of), and quick exit deletes the session's row (session_end). None of them can
# deadlock: quick exit appends its event before it deletes anything, and the other two append
# nothing in that transaction (what a page showed is recorded by ResponseAuditMiddleware after the
# view's transaction has committed), so they never wait for the chain while holding a row; a
# writer that holds the chain and needs their row only waits for them to commit. A safe request
# that writes a row and then appends an event in the same transaction must call
# audit_chain_lock() before the write.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# A statement that writes rows (INSERT, UPDATE, DELETE) or locks them (select_for_update).
_WRITES_OR_LOCKS = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b",
    re.IGNORECASE,
)


@contextmanager
def chain_locked_before_first_write() -> Iterator[None]:
    """Take the chain's lock just before the first statement that writes or locks a row.

    For unsafe requests to PUBLIC views, which anyone can send: the sign-in's password check and
    the check of a set-up code read only, so they run before the app-wide lock and a flood of
    sign-ins cannot hold up everyone's writes. What these views write comes after the lock all
    the same, so the lock order holds: the throttle's rows, which django-axes writes once a
    password has failed and which a signed-in password confirmation writes under the lock too;
    the set-up link's row, which an administrator issuing a new link updates under the lock; the
    draft the quick exit keeps before it ends the session, which the form's own view writes
    under the lock.
    """
    taken = False

    def lock_first(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        nonlocal taken
        if not taken and _WRITES_OR_LOCKS.search(sql):
            taken = True  # first: the lock's own statement passes through here too
            audit_chain_lock()
        return execute(sql, *args)

    with connection.execute_wrapper(lock_first):
        yield


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
            if request.method in SAFE_METHODS:
                return allowed(request, *args, **kwargs)
            if rule is Access.PUBLIC:
                with chain_locked_before_first_write():
                    return allowed(request, *args, **kwargs)
            # Before the view locks or writes any row, so audited writes cannot deadlock (see
            # audit_chain_lock). Only signed-in people get here, and what a view does before its
            # first row lock is cheap: second-factor codes are checked under the device's lock.
            audit_chain_lock()
            return allowed(request, *args, **kwargs)

        def allowed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if of is not None:
                # A plain read, before the role check: an outsider's answer must not depend
                # on their role. Middleware has let only signed-in people this far; for unsafe
                # requests the chain's lock is already taken.
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
