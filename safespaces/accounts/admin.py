from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import AnonymousUser, Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.accounts.services import second_factor_reset
from safespaces.admin_site import AuditedModelAdmin

# django-otp's device admin can show an authenticator's secret as a QR code; nobody needs that.
admin.site.unregister(TOTPDevice)
# Roles are groups: a change to what a role may do is recorded like any other change.
admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(AuditedModelAdmin, GroupAdmin):
    pass


class UserAdminForm(forms.ModelForm):
    role = forms.ChoiceField(choices=[("", _("No role"))] + Role.choices, required=False)

    class Meta:
        model = User
        # Not is_active: deactivating has one door, the Users page (services.user_deactivate),
        # which also ends the account's sessions and set-up links and refuses one's own account.
        # A second door here would have to repeat all of that, and would fall behind.
        fields = ["username", "display_name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = self.instance.role or ""

    # Set by UserAdmin.get_form: the administrator using the form.
    acting_user: User | AnonymousUser | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        editing_self = self.acting_user is not None and self.instance.pk == self.acting_user.pk
        keeps_admin = cleaned.get("role") == Role.ADMINISTRATOR or self.instance.is_superuser
        if editing_self and not keeps_admin:
            # The organization must never lose its last administrator to a slip of the mouse.
            raise forms.ValidationError(gettext("You cannot remove your own administrator role."))
        return cleaned

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        # The stubs declare save_m2m a method; Django sets it on the form in save(commit=False).
        self.save_m2m = self._save_role  # type: ignore[method-assign]
        if commit:
            self._save_role()
        return user

    def _save_role(self) -> None:
        user = self.instance
        user.groups.remove(*Group.objects.filter(name__in=Role.values))
        if self.cleaned_data["role"]:
            user.groups.add(Group.objects.get(name=self.cleaned_data["role"]))


@admin.register(User)
class UserAdmin(AuditedModelAdmin):
    form = UserAdminForm
    list_display = ["username", "is_active", "date_joined"]
    readonly_fields = ["active"]
    list_filter = ["is_active", "groups"]
    search_fields = ["username"]
    actions = ["reset_second_factor"]

    def get_form(
        self, request: HttpRequest, obj: User | None = None, change: bool = False, **kwargs: Any
    ) -> "type[forms.ModelForm[User]]":
        form = super().get_form(request, obj, change, **kwargs)
        # A class made for this request alone (by modelform_factory), so this stays with it.
        if issubclass(form, UserAdminForm):
            form.acting_user = request.user
        return form

    @admin.display(description=_("Active"))
    def active(self, obj: User) -> str:
        if obj.is_active:
            return gettext("Yes. Deactivate the account on the Users page: it also signs them out.")
        return gettext("No. Reactivate the account on the Users page.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Accounts are made on the Users page, which gives a one-time set-up link: an account
        # made here would have no way to get its first password.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Accounts are deactivated, never deleted: the audit trail names them.
        return False

    @admin.action(description=_("Reset second factor (they enrol again at next sign-in)"))
    def reset_second_factor(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]
    ) -> None:
        users = list(queryset)
        for user in users:
            second_factor_reset(user=user, by=request.user)
        self.message_user(
            request,
            ngettext(
                "Reset %(count)d user's second factor.",
                "Reset %(count)d users' second factor.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )
