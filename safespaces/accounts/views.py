import base64
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.access import Access, AuthenticatedHttpRequest, access
from safespaces.accounts import services
from safespaces.accounts.forms import (
    AuthenticatorCodeForm,
    CodeForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    RoleForm,
    SetupCodeForm,
    UserCreateForm,
    colleague_matches,
    sign_in_pause,
    team_members,
    wrong_password_message,
)
from safespaces.accounts.models import SetupToken, User
from safespaces.accounts.selectors import (
    backup_codes_left,
    has_confirmed_authenticator,
    second_step,
    sessions_open,
    setup_link_find,
    users_for_management,
)
from safespaces.accounts.sessions import SESSION_RECORD_KEY
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.languages import remember
from safespaces.pickers import matches_response


@access(Access.PUBLIC)
class LoginView(auth_views.LoginView):
    """Step one: username and password. django-axes throttles failures."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    # Never follow ?next=: see LoginRequiredMiddleware.
    redirect_field_name = ""

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        auth_login(self.request, form.get_user())
        return redirect(second_step(form.get_user()))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # The switch needs no account: someone who cannot read this page's language can still
        # find theirs, named in its own words.
        switch = LanguageForm(initial={"language": translation.get_language()})
        return super().get_context_data(**kwargs) | {"language_form": switch}

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        known = User.objects.filter(username=form.data.get("username", "")).first()
        audit_record(
            action=AuditEvent.Action.LOGIN_FAILED, target=known, object_type="accounts.user"
        )
        return super().form_invalid(form)

    def get_success_url(self) -> str:
        # Reached when someone already signed in opens the login page.
        user = self.request.user
        if user.is_authenticated and not user.is_verified():
            return reverse(second_step(user))
        return reverse("home")


@access(Access.PASSWORD_ONLY)
@sensitive_post_parameters("code")
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
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
    # The name the authenticator lists the codes under, which neutral mode makes neutral too.
    context = {"form": form, "issuer": settings.OTP_TOTP_ISSUER}
    return render(request, "accounts/verify.html", context)


def _qr_code_svg(content: str) -> str:
    # Rendered here, never by an outside service: the image holds a secret.
    svg = segno.make(content, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308 - segno's own markup, built from a URL we made


def _manual_secret(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _enrolment(request: AuthenticatedHttpRequest, *, first_time: bool) -> HttpResponse:
    device = services.authenticator_enrolment_start(request=request)
    form = AuthenticatorCodeForm(request.POST or None)
    # Replacing a working authenticator asks for the password too, so a borrowed session alone
    # cannot move someone's second factor to another phone.
    password_form = None if first_time else PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if password_form is None:
            check = PasswordCheck.RIGHT
        elif password_form.is_valid():
            check = _password_check(request, password_form, "password")
        else:
            check = PasswordCheck.WRONG
        if check is PasswordCheck.SESSION_ENDED:
            return _signed_out_for_guessing(request)
        if check is PasswordCheck.RIGHT:
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
        "qr_code": _qr_code_svg(device.config_url),
        "secret": _manual_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "first_time": first_time,
    }
    return render(request, "accounts/enrol.html", context)


@access(Access.PASSWORD_ONLY)
@sensitive_post_parameters("code")
def enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    """First sign-in: set up an authenticator app, then receive backup codes."""
    if request.user.is_verified():
        return redirect("accounts:authenticator")
    if second_step(request.user) != "accounts:enrol":
        return redirect(second_step(request.user))
    return _enrolment(request, first_time=True)


@access(Access.SIGNED_IN)
@sensitive_post_parameters("password", "code")
def authenticator(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Move to a new phone; the old authenticator works until the new one is confirmed."""
    return _enrolment(request, first_time=False)


PasswordCheck = services.PasswordCheck


def _password_check(
    request: AuthenticatedHttpRequest, form: forms.Form, field: str
) -> PasswordCheck:
    """Check the password typed in the valid `form[field]` with services.password_confirm; a
    wrong one becomes the field's error."""
    check = services.password_confirm(
        request=request, user=request.user, password=form.cleaned_data[field]
    )
    if check is PasswordCheck.WRONG:
        form.add_error(field, wrong_password_message())
    return check


def _signed_out_for_guessing(request: HttpRequest) -> HttpResponse:
    """What someone sees once wrong passwords have ended their session."""
    messages.error(
        request,
        _(
            "Too many wrong passwords: you are signed out. If signing in from here is "
            "paused, it starts again by itself within %(pause)s. If you did not type them, "
            "tell an administrator."
        )
        % {"pause": sign_in_pause()},
    )
    return redirect("accounts:login")


@access(Access.SIGNED_IN)
@sensitive_post_parameters("password")
def backup_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Make a new set of backup codes; the old ones stop working."""
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = _password_check(request, form, "password")
        if check is PasswordCheck.SESSION_ENDED:
            return _signed_out_for_guessing(request)
        if check is PasswordCheck.RIGHT:
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
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "has_authenticator": has_confirmed_authenticator(request.user),
        "backup_codes_left": backup_codes_left(request.user),
        "sessions": sessions_open(request.user).order_by("-last_seen_at"),
        "this_session": request.session.get(SESSION_RECORD_KEY),
        "limit": settings.SESSIONS_PER_USER,
        "language_form": LanguageForm(
            initial={"language": request.user.language}, keep_default=True
        ),
    }
    return render(request, "accounts/account.html", context)


@access(Access.SIGNED_IN)
@require_POST
def sessions_end_others(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.sessions_end_others(request=request)
    messages.success(request, _("You are signed out everywhere else."))
    return redirect("accounts:account")


@method_decorator(
    sensitive_post_parameters("old_password", "new_password1", "new_password2"), name="dispatch"
)
@access(Access.SIGNED_IN)
class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password ends every other session (Django signs sessions with its hash)."""

    request: AuthenticatedHttpRequest
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        # The old password last, once the new one is acceptable.
        check = _password_check(self.request, form, "old_password")
        if check is PasswordCheck.SESSION_ENDED:
            return _signed_out_for_guessing(self.request)
        if check is PasswordCheck.WRONG:
            return self.form_invalid(form)
        response = super().form_valid(form)
        services.password_change_record(user=self.request.user)
        messages.success(
            self.request, _("Your password is changed. You are signed out everywhere else.")
        )
        return response


@access(Access.PUBLIC)
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The sign-in page's language switch: needs no account, keeps the choice in this browser."""
    form = LanguageForm(request.POST)
    response = redirect("accounts:login")
    if form.is_valid():
        remember(response, form.cleaned_data["language"])
    return response


@access(Access.SIGNED_IN)
@require_POST
def account_language(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Choose the language of one's pages and of the messages sent to one."""
    form = LanguageForm(request.POST, keep_default=True)
    if not form.is_valid():
        messages.error(request, _("Choose one of the languages listed."))
        return redirect("accounts:account")
    language = form.cleaned_data["language"]
    services.language_choose(user=request.user, language=language)
    if language:
        translation.activate(language)
    messages.success(request, _("Your language is saved."))
    response = redirect("accounts:account")
    remember(response, language)
    return response


@access(Access.PASSWORD_ONLY)
@require_POST
def logout_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.session_end(request=request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


@access(Access.STAFF)
@require_POST
@sensitive_post_parameters("q")
def colleague_pick(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The colleagues whose name matches what was typed, among the team (see team_members), for
    a picker (see safespaces.pickers). A form's own field checks a choice against what it
    offers when the form is sent."""
    return matches_response(request, User, lambda query: colleague_matches(team_members(), query))


@access(Access.ADMINISTRATOR)
@require_safe
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "accounts/user_list.html", {"users": users_for_management()})


GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])


@access(Access.ADMINISTRATOR)
@GET_OR_POST
@sensitive_variables("token")
def user_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new account and its set-up link; the administrator types no password."""
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(
            username=form.cleaned_data["username"],
            display_name=form.cleaned_data["display_name"],
            role=form.cleaned_data["role"],
            by=request.user,
        )
        link, token = services.setup_link_issue(user=user, by=request.user)
        return _setup_link_created(request, link, token, new_account=True)
    return render(request, "accounts/user_create.html", {"form": form})


@sensitive_variables("token", "url")
def _setup_link_created(
    request: HttpRequest, link: SetupToken, token: str, *, new_account: bool = False
) -> HttpResponse:
    # Shown in this response only: the token is stored nowhere but as a hash.
    # The code goes after "#": browsers never send that part to a server, so no access log,
    # proxy or messenger's link preview ever sees it. See views.setup.
    url = request.build_absolute_uri(reverse("accounts:setup")) + "#" + token
    context = {
        "target": link.user,
        "link": link,
        "url": url,
        "qr_code": _qr_code_svg(url),
        "new_account": new_account,
    }
    return render(request, "accounts/setup_link_created.html", context)


def _other_user(request: AuthenticatedHttpRequest, user_id: str, **filters: object) -> User | None:
    """The account an administrator acts on, or None when it is their own."""
    target = get_object_or_404(User, pk=user_id, **filters)
    return None if target.pk == request.user.pk else target


@access(Access.ADMINISTRATOR)
@GET_OR_POST
@sensitive_variables("token")
def setup_link_issue(request: AuthenticatedHttpRequest, user_id: str) -> HttpResponse:
    """A new set-up link for someone who lost both their phone and their password."""
    target = _other_user(request, user_id, is_active=True)
    if target is None:
        messages.error(
            request,
            _("Change your own password and authenticator on your account page instead."),
        )
        return redirect("accounts:users")
    if request.method == "POST":
        link, token = services.setup_link_issue(user=target, by=request.user)
        return _setup_link_created(request, link, token)
    return render(request, "accounts/setup_link_issue.html", {"target": target})


@access(Access.ADMINISTRATOR)
@GET_OR_POST
def user_role(request: AuthenticatedHttpRequest, user_id: str) -> HttpResponse:
    target = get_object_or_404(User, pk=user_id)
    form = RoleForm(request.POST or None, initial={"role": target.role or ""})
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.user_role_change(
                user=target, role=form.cleaned_data["role"], by=request.user
            )
        except services.OwnAccount:
            form.add_error(
                "role",
                _(
                    "You cannot remove your own administrator role: the organization must keep "
                    "an administrator. Ask another administrator to change it."
                ),
            )
        else:
            if changed:
                messages.success(
                    request, _("%(username)s's role is changed.") % {"username": target.username}
                )
            return redirect("accounts:users")
    return render(request, "accounts/user_role.html", {"target": target, "form": form})


@access(Access.ADMINISTRATOR)
@GET_OR_POST
def user_deactivate(request: AuthenticatedHttpRequest, user_id: str) -> HttpResponse:
    target = _other_user(request, user_id, is_active=True)
    if target is None:
        messages.error(
            request,
            _("You cannot deactivate your own account. Another administrator can do it."),
        )
        return redirect("accounts:users")
    if request.method == "POST":
        services.user_deactivate(user=target, by=request.user)
        messages.success(
            request,
            _("%(username)s is deactivated and signed out everywhere.")
            % {"username": target.username},
        )
        return redirect("accounts:users")
    return render(request, "accounts/user_deactivate.html", {"target": target})


@access(Access.ADMINISTRATOR)
@GET_OR_POST
def user_reactivate(request: AuthenticatedHttpRequest, user_id: str) -> HttpResponse:
    target = get_object_or_404(User, pk=user_id, is_active=False)
    if request.method == "POST":
        services.user_reactivate(user=target, by=request.user)
        messages.success(
            request, _("%(username)s can sign in again.") % {"username": target.username}
        )
        return redirect("accounts:users")
    return render(request, "accounts/user_reactivate.html", {"target": target})


@access(Access.PUBLIC)
@GET_OR_POST
@sensitive_post_parameters("token", "new_password1", "new_password2")
@sensitive_variables("token")
def setup(request: HttpRequest) -> HttpResponse:
    """Use a set-up link: choose a password, then set up the authenticator.

    The link carries its code after "#", which browsers keep to themselves: the page is served
    without it, a script (static/js/setup-link.js) moves it into the form and out of the address
    bar, and it reaches us only in the POST body. Opening the link uses nothing; only the form does.
    """
    if request.user.is_authenticated:
        # Most likely the administrator who made the link, on their own device: using it here
        # would give them the new account's password.
        return render(request, "accounts/setup_signed_in.html")
    code_form = SetupCodeForm(request.POST or None)
    form: forms.Form = NewPasswordForm()
    target = None
    if request.method == "POST" and code_form.is_valid():
        token = code_form.cleaned_data["token"]
        if (link := setup_link_find(token)) is None:
            return _setup_link_dead(request)
        target = link.user
        form = SetPasswordForm(target, request.POST)
        if form.is_valid():
            user = services.setup_link_redeem(
                token=token, password=form.cleaned_data["new_password1"]
            )
            if user is None:
                return _setup_link_dead(request)
            # The password step only: the middleware and enrolment ask for the second factor.
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your password is set. Now set up your second step."))
            return redirect("accounts:enrol")
        # The code works: it stays in the form, out of sight, while they fix the password.
        code_form.fields["token"].widget = forms.HiddenInput()
    context = {"code_form": code_form, "form": form, "target": target}
    return render(request, "accounts/setup.html", context)


def _setup_link_dead(request: HttpRequest) -> HttpResponse:
    # The same page for unknown, used, replaced and expired links: it says nothing about which.
    return render(request, "accounts/setup_link_dead.html", status=404)


@access(Access.PUBLIC)
@require_safe
@sensitive_variables("token")
def setup_old_link(request: HttpRequest, token: str) -> HttpResponse:
    """Links made before the code moved after "#" lead to the same page, with the code there.

    This request has already put the code in the access log; the redirect keeps it out of every
    later one, and the form then uses it up. It checks nothing and uses nothing.
    """
    return redirect(reverse("accounts:setup") + "#" + token)


@access(Access.ADMINISTRATOR)
def second_factor_reset(request: AuthenticatedHttpRequest, user_id: str) -> HttpResponse:
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
