import base64
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.access import Access, access
from safespaces.accounts import services
from safespaces.accounts.forms import (
    AuthenticatorCodeForm,
    CodeForm,
    LoginForm,
    PasswordConfirmForm,
)
from safespaces.accounts.models import User
from safespaces.accounts.selectors import (
    backup_codes_left,
    has_confirmed_authenticator,
    second_step,
)
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record


@access(Access.PUBLIC)
class LoginView(auth_views.LoginView):
    """Step one: username and password. django-axes throttles failures."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    # Never follow ?next=: see LoginRequiredMiddleware.
    redirect_field_name = ""

    def form_valid(self, form: LoginForm) -> HttpResponse:
        auth_login(self.request, form.get_user())
        return redirect(second_step(form.get_user()))

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        known = User.objects.filter(username=form.data.get("username", "")).first()
        audit_record(
            action=AuditEvent.Action.LOGIN_FAILED, target=known, object_type="accounts.user"
        )
        return super().form_invalid(form)

    def get_success_url(self) -> str:
        # Reached when someone already signed in opens the login page.
        if self.request.user.is_verified():
            return reverse("home")
        return reverse(second_step(self.request.user))


@access(Access.PASSWORD_ONLY)
@sensitive_post_parameters("code")
def verify(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the authenticator or a backup code."""
    if request.user.is_verified():
        return redirect("home")
    if second_step(request.user) != "accounts:verify":
        return redirect(second_step(request.user))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.second_factor_verify(request=request, token=form.cleaned_data["code"]):
            left = backup_codes_left(request.user)
            if left <= 3:
                messages.warning(
                    request,
                    _("You have %(left)d backup codes left. Make new ones on your account page.")
                    % {"left": left},
                )
            return redirect("home")
        form.add_error(
            "code",
            _(
                "That code did not work. Codes change every 30 seconds and each works once; "
                "wait for the next one and try again."
            ),
        )
    return render(request, "accounts/verify.html", {"form": form})


def _qr_code_svg(device: TOTPDevice) -> str:
    # Rendered here, never by an outside service: the image holds the secret.
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308 - segno's own markup, built from our device's URL


def _manual_secret(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _enrolment(request: HttpRequest, *, first_time: bool) -> HttpResponse:
    device = services.authenticator_enrolment_start(request=request)
    form = AuthenticatorCodeForm(request.POST or None)
    # Replacing a working authenticator asks for the password too, so a borrowed session alone
    # cannot move someone's second factor to another phone.
    password_form = None if first_time else PasswordConfirmForm(request.user, request.POST or None)
    if request.method == "POST":
        passwords_ok = password_form is None or password_form.is_valid()
        if form.is_valid() and passwords_ok:
            codes = services.authenticator_enrolment_confirm(
                request=request, device=device, token=form.cleaned_data["code"]
            )
            if codes is not None:
                messages.success(request, _("Your authenticator app is set up."))
                if codes:
                    return render(request, "accounts/backup_codes.html", {"codes": codes})
                return redirect("home" if first_time else "accounts:account")
            form.add_error(
                "code", _("That code did not match. Check the app's clock and try the next code.")
            )
    context = {
        "form": form,
        "password_form": password_form,
        "qr_code": _qr_code_svg(device),
        "secret": _manual_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "first_time": first_time,
    }
    return render(request, "accounts/enrol.html", context)


@access(Access.PASSWORD_ONLY)
@sensitive_post_parameters("code")
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up an authenticator app, then receive backup codes."""
    if request.user.is_verified():
        return redirect("accounts:authenticator")
    if second_step(request.user) != "accounts:enrol":
        return redirect(second_step(request.user))
    return _enrolment(request, first_time=True)


@access(Access.SIGNED_IN)
@sensitive_post_parameters("password", "code")
def authenticator(request: HttpRequest) -> HttpResponse:
    """Move to a new phone; the old authenticator works until the new one is confirmed."""
    return _enrolment(request, first_time=False)


@access(Access.SIGNED_IN)
@sensitive_post_parameters("password")
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Make a new set of backup codes; the old ones stop working."""
    form = PasswordConfirmForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.backup_codes_replace(request=request)
        return render(request, "accounts/backup_codes.html", {"codes": codes})
    return render(
        request,
        "accounts/confirm_password.html",
        {
            "form": form,
            "title": _("New backup codes"),
            "explanation": _(
                "You have %(left)d unused backup codes. New codes replace all of them."
            )
            % {"left": backup_codes_left(request.user)},
        },
    )


@access(Access.SIGNED_IN)
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    context = {
        "has_authenticator": has_confirmed_authenticator(request.user),
        "backup_codes_left": backup_codes_left(request.user),
    }
    return render(request, "accounts/account.html", context)


@method_decorator(
    sensitive_post_parameters("old_password", "new_password1", "new_password2"), name="dispatch"
)
@access(Access.SIGNED_IN)
class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password ends every other session (Django signs sessions with its hash)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditEvent.Action.PASSWORD_CHANGED,
            actor=self.request.user,
            target=self.request.user,
        )
        messages.success(
            self.request, _("Your password is changed. You are signed out everywhere else.")
        )
        return response


@access(Access.PASSWORD_ONLY)
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    audit_record(action=AuditEvent.Action.LOGOUT, actor=request.user)
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


@access(Access.ADMINISTRATOR)
@require_safe
def user_list(request: HttpRequest) -> HttpResponse:
    users = User.objects.order_by("username").prefetch_related("groups")
    return render(request, "accounts/user_list.html", {"users": users})


@access(Access.ADMINISTRATOR)
def second_factor_reset(request: HttpRequest, user_id: str) -> HttpResponse:
    """An administrator removes someone's second factors after a lost phone."""
    target = get_object_or_404(User, pk=user_id)
    if request.method == "POST":
        services.second_factor_reset(user=target, by=request.user)
        messages.success(
            request,
            _(
                "%(username)s's second factor was reset. "
                "They set up a new one at their next sign-in."
            )
            % {"username": target.username},
        )
        return redirect("accounts:users")
    return render(request, "accounts/second_factor_reset.html", {"target": target})
