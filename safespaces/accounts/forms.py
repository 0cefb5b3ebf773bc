from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.crypto.fields import open_unnoted
from safespaces.languages import offered
from safespaces.pickers import Matches, PickerField, best_matches, decrypted_names, use_picker

NO_ROLE = [("", _("No role (can sign in, sees nothing)"))]


# The throttle's limit and pause come from settings (AXES_FAILURE_LIMIT, AXES_COOLOFF_TIME), so
# the messages that state them are made when they are shown.


def sign_in_pause() -> str:
    """How long signing in pauses after too many wrong passwords, in words: "15 minutes"."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def wrong_sign_in_message() -> str:
    limit = settings.AXES_FAILURE_LIMIT
    return ngettext(
        "That username and password do not match. Check them and try again; after %(limit)d "
        "failed try, signing in pauses for %(pause)s.",
        "That username and password do not match. Check them and try again; after %(limit)d "
        "failed tries, signing in pauses for %(pause)s.",
        limit,
    ) % {"limit": limit, "pause": sign_in_pause()}


def wrong_password_message() -> str:
    limit = settings.AXES_FAILURE_LIMIT
    return ngettext(
        "That is not your current password. After %(limit)d wrong try you are signed out and "
        "signing in pauses for %(pause)s.",
        "That is not your current password. After %(limit)d wrong tries you are signed out and "
        "signing in pauses for %(pause)s.",
        limit,
    ) % {"limit": limit, "pause": sign_in_pause()}


class LoginForm(AuthenticationForm):
    def __init__(self, request: HttpRequest | None = None, *args: object, **kwargs: object) -> None:
        super().__init__(request, *args, **kwargs)
        self.error_messages = {**self.error_messages, "invalid_login": wrong_sign_in_message()}
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


class PasswordConfirmForm(forms.Form):
    """Asks again for the password before a change that could hand someone else the account.

    It only takes the password in: the view checks it with services.password_confirm, which
    counts, audits and may end the session.
    """

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form, without its own check of the old password: the view checks it with
    services.password_confirm, through sign-in's throttle."""

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        return old_password


class NewPasswordForm(forms.Form):
    """The fields of Django's SetPasswordForm, shown before the set-up link is checked: that
    form needs the account, which only the link names."""

    new_password1 = SetPasswordForm.base_fields["new_password1"]
    new_password2 = SetPasswordForm.base_fields["new_password2"]


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
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


def team_members() -> QuerySet[User]:
    """Everyone active who holds a role: the colleagues a record may name (who took part, who
    may see it, who checks in)."""
    return User.objects.filter(is_active=True, groups__isnull=False).distinct().order_by("username")


def team_members_and(current: Q) -> QuerySet[User]:
    """Everyone in the team, and whoever the record names already: someone who has left stays
    named until an editor chooses someone else, instead of being dropped by an unrelated edit."""
    return User.objects.filter(Q(pk__in=team_members().values("pk")) | current).order_by("username")


def colleague_matches(users: QuerySet[User], query: str) -> Matches:
    """The colleagues among `users` whose name holds every word typed, best first, at most
    pickers.LIMIT. Display names are encrypted, so each candidate's is opened to match it: a team
    is tens of people, a few hundred at most, and only a search someone asked for does this.
    Only the matches a picker shows count as shown (pickers.shown_without)."""
    labels = [
        (user.pk, open_unnoted(user, "display_name") or user.username)
        for user in users.only("id", "username", "display_name")
    ]
    return decrypted_names(User, best_matches(labels, query))


class _Colleagues(PickerField):
    """Colleagues labelled by their display name, found by typing it (colleague_matches)."""

    def label_from_instance(self, obj: User) -> str:
        return obj.shown_name

    def matches(self, query: str) -> Matches:
        return colleague_matches(self.offered(), query)


class UserChoiceField(_Colleagues, forms.ModelChoiceField):
    """Pick a colleague. Given a picker (`use_colleague_picker`), found by typing: a form lists
    no names it was not asked for."""


class UserMultipleChoiceField(_Colleagues, forms.ModelMultipleChoiceField):
    """Pick several colleagues, labelled and found like UserChoiceField."""


def use_colleague_picker(field: forms.Field) -> None:
    """Let `field` find colleagues by typing (safespaces.pickers). Called once the form has set
    the field's queryset and empty label."""
    use_picker(
        field,
        url=reverse("accounts:pick_colleague"),
        search_label=_("Find a colleague: type part of their name"),
        empty_label=getattr(field, "empty_label", None),
    )


class LanguageForm(forms.Form):
    """A language among those offered, each named in its own words. With `keep_default`, also
    "your browser's language" (none chosen), which My account offers and the sign-in page does
    not."""

    language = forms.ChoiceField(label=_("Language"))

    def __init__(self, *args: Any, keep_default: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default: list[tuple[str, str]] = []
        if keep_default:
            default = [("", str(_("Your browser's language")))]
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = default + offered()
        field.required = not keep_default
