"""Server-side drafts of forms, kept when a session ends in the middle of writing.

A view marked `@keeps_draft` has its POST saved as a draft for the signed-in user when the POST
arrives after the session has expired (see SessionLifetimeMiddleware), or when the quick exit
leaves its form half written (`draft_keep_on_exit`), so signing in again brings the entry back
instead of losing it. The view itself loads, saves and discards drafts.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import TypeGuard, TypeVar

from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from safespaces.access import ROLE_FOR_RULE, AuthenticatedHttpRequest, access_rule_of
from safespaces.accounts.models import User
from safespaces.accounts.roles import has_role
from safespaces.drafts.models import Draft

V = TypeVar("V")

# The field in which the quick exit names the form it keeps: the form's own path.
EXIT_FORM_FIELD = "quick_exit_form"
# Posted values that are not what the person typed.
NOT_TYPED = {"csrfmiddlewaretoken", "version", EXIT_FORM_FIELD}
# A draft nobody came back to is deleted the next time its form is opened.
KEPT_FOR = timedelta(days=30)


def keeps_draft(view: V) -> V:
    """Mark a form view whose POST is kept as a draft if the session expired while typing."""
    view.keeps_draft = True  # type: ignore[attr-defined]
    return view


def draft_save(*, user: User, form: str, data: QueryDict) -> Draft:
    values = {key: values for key, values in data.lists() if key not in NOT_TYPED}
    draft, _ = Draft.objects.update_or_create(user=user, form=form, defaults={"data": values})
    return draft


def draft_of(*, user: User, form: str) -> Draft | None:
    """The user's draft of the form, if they left one in the last KEPT_FOR. Opening a form reads
    once, and writes only when the draft it found is past keeping."""
    draft = Draft.objects.filter(user=user, form=form).first()
    cut_off = timezone.now() - KEPT_FOR
    if draft is not None and draft.saved_at < cut_off:
        # Still past keeping when deleted: one saved again meanwhile stays.
        Draft.objects.filter(pk=draft.pk, saved_at__lt=cut_off).delete()
        return None
    return draft


def draft_discard(*, user: User, form: str) -> None:
    Draft.objects.filter(user=user, form=form).delete()


def _csrf_accepts(request: HttpRequest, view: Callable[..., HttpResponse]) -> bool:
    """The same check Django makes later, made early: a forged POST must not plant a draft."""
    checker = CsrfViewMiddleware(lambda request: HttpResponse())
    return checker.process_view(request, view, (), {}) is None


def _has_second_factor(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    # Only a session that passed the second factor writes as its user: a password alone must not
    # plant text that the user later finds in their own form.
    return isinstance(request.user, User) and bool(request.session.get(DEVICE_ID_SESSION_KEY))


def draft_keep_on_exit(request: HttpRequest) -> bool:
    """Keep what the quick exit posted as the draft of the form it names, if that form keeps
    drafts and the user may open it. The exit view's own CSRF check has passed.

    Returns whether one was kept.
    """
    if request.method != "POST" or not _has_second_factor(request):
        return False
    try:
        match = resolve(request.POST.get(EXIT_FORM_FIELD, ""))
    except Resolver404:
        return False
    if not getattr(match.func, "keeps_draft", False):
        return False
    # Whoever may not open the form must not find its draft on their home page either.
    # Fail closed: a view that names no role a draft could be checked against keeps none.
    rule = access_rule_of(match.func)
    role = ROLE_FOR_RULE.get(rule) if rule is not None else None
    if role is None or not has_role(request.user, role):
        return False
    draft_save(user=request.user, form=match.view_name, data=request.POST)
    return True


def draft_keep_expired_post(request: HttpRequest) -> bool:
    """Keep the POST of a session that just expired as a draft, if its view asks for it.

    Called before the user is signed out, so the draft is theirs. Returns whether one was kept.
    """
    if request.method != "POST" or not _has_second_factor(request):
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    if not getattr(match.func, "keeps_draft", False) or not _csrf_accepts(request, match.func):
        return False
    draft_save(user=request.user, form=match.view_name, data=request.POST)
    return True
