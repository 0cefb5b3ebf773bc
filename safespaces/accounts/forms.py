from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from safespaces.accounts import services
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role

NO_ROLE = [("", _("No role (can sign in, sees nothing)"))]


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That username and password do not match. Check them and try again; after five "
            "failed tries, signing in pauses for 15 minutes."
        ),
    }

    def __init__(self, request: HttpRequest | None = None, *args: object, **kwargs: object) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(autocapitalize="none", spellcheck="false")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class SetupCodeForm(forms.Form):
    """The code of a set-up link, which reaches the server in this form's POST body only.

    Links put the code after "#", which browsers never send to a server; a script moves it into
    this field. Without JavaScript the person pastes the link, or the code, here.
    """

    token = forms.CharField(
        label=_("Code from your set-up link"),
        max_length=500,
        help_text=_("Paste the whole link you were given, or the part of it after the #."),
        error_messages={
            "required": _("Paste the link you were given, or the part of it after the #.")
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
                "data-setup-code": "",
            }
        ),
    )

    def clean_token(self) -> str:
        token: str = self.cleaned_data["token"]
        # A whole link pasted: what follows "#", or "/setup/" in links made before the code
        # moved out of the path.
        if "#" in token:
            token = token.rsplit("#", 1)[1]
        elif "/setup/" in token:
            token = token.split("/setup/", 1)[1]
        return token.strip().strip("/")


class AuthenticatorCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the app"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": _("Enter the 6 digits the app shows, for example 123 456.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


WRONG_PASSWORD = _(
    "That is not your current password. After five wrong tries you are signed out and signing "
    "in pauses for 15 minutes."
)


def _password_confirmed(request: HttpRequest, password: str) -> str:
    # Throttled and audited like a sign-in: see services.password_confirm.
    confirmed = services.password_confirm(
        request=request,
        user=request.user,  # type: ignore[arg-type]
        password=password,
    )
    if not confirmed:
        raise forms.ValidationError(WRONG_PASSWORD, code="password_incorrect")
    return password


class PasswordConfirmForm(forms.Form):
    """Asks again for the password before a change that could hand someone else the account."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: object, **kwargs: object) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        return _password_confirmed(self.request, self.cleaned_data["password"])


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form, with the old password checked through the same throttle."""

    def __init__(self, request: HttpRequest, *args: object, **kwargs: object) -> None:
        self.request = request
        super().__init__(request.user, *args, **kwargs)

    def clean_old_password(self) -> str:
        return _password_confirmed(self.request, self.cleaned_data["old_password"])


class UserCreateForm(forms.ModelForm):
    role = forms.TypedChoiceField(
        label=_("Role"), choices=Role.choices, coerce=Role, initial=Role.STAFF
    )

    class Meta:
        model = User
        fields = ["username", "display_name"]
        help_texts = {
            "username": _(
                "What they type to sign in. Administrators and the audit log see it: use a "
                "nickname, never a legal name. Letters, digits and @/./+/-/_ only."
            ),
            "display_name": _("How others see them in SafeSpaces. Optional; stored encrypted."),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            autocomplete="off", autocapitalize="none", spellcheck="false"
        )
        self.fields["display_name"].widget.attrs.update(autocomplete="off")

    def clean_username(self) -> str:
        # Sign-in matches the exact spelling; two accounts that differ only in case would be
        # mixed up by the people using them.
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Someone already has this username. Choose another."))
        return username


class RoleForm(forms.Form):
    role = forms.TypedChoiceField(
        label=_("Role"),
        choices=NO_ROLE + Role.choices,
        coerce=Role,
        empty_value=None,
        required=False,
    )
