from django import forms
from django.utils.translation import gettext_lazy as _

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=_("User"), queryset=User.objects.order_by("username"), required=False
    )
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("Any"))] + AuditEvent.Action.choices, required=False
    )
    object_type = forms.CharField(label=_("Object type"), max_length=100, required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
