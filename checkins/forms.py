from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checkins.models import CheckIn
from riskassessment.models import RiskSituation
from safespaces.accounts.forms import UserMultipleChoiceField, team_members, use_colleague_picker
from safespaces.accounts.models import User
from safespaces.forms import field_of
from safespaces.places.forms import PlaceChoiceField, use_place_picker
from safespaces.places.models import Place
from safespaces.places.selectors import places_for_picking

EVERY_CHOICES = [
    ("", _("Only once")),
    ("30", _("Every 30 minutes")),
    ("60", _("Every hour")),
    ("120", _("Every 2 hours")),
]
MORE_TIME_CHOICES = [(15, _("15 minutes")), (30, _("30 minutes")), (60, _("1 hour"))]


def next_time_at(at: time, *, now: datetime) -> datetime:
    """`at` today on the organization's clock, or tomorrow if it has passed: starting at 23:30
    with "check in by 01:00" means tonight, not last night."""
    local_now = timezone.localtime(now)
    moment = timezone.make_aware(datetime.combine(local_now.date(), at))
    return (
        moment
        if moment > now
        else timezone.make_aware(datetime.combine(local_now.date() + timedelta(days=1), at))
    )


class StartForm(forms.Form):
    """What the team needs if they do not hear from you: what, where, with whom, and by when."""

    activity = forms.CharField(
        label=_("What are you doing?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: outreach at the night market with Ana."),
    )
    place = PlaceChoiceField(required=False, empty_label=_("Not one of our places"))
    company = forms.CharField(
        label=_("Who are you with?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    by = forms.TimeField(
        label=_("Check in by"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Today, or tomorrow if the time has passed."),
    )
    every = forms.TypedChoiceField(
        label=_("Then"),
        choices=EVERY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    watchers = UserMultipleChoiceField(
        queryset=User.objects.none(),
        label=_("Who watches?"),
        help_text=_("A buddy, the coordinator on duty, or both. They are alerted if you miss it."),
    )
    grace_minutes = forms.IntegerField(
        label=_("Alert them this long after a missed time (minutes)"),
        min_value=0,
        max_value=120,
        initial=10,
    )

    def __init__(
        self, *args: Any, user: User, situation: RiskSituation | None = None, **kwargs: Any
    ) -> None:
        if situation is not None:
            kwargs.setdefault("initial", {})
            kwargs["initial"] |= {
                "activity": situation.title,
                "place": situation.place_id,
                "watchers": [situation.check_in_with_id] if situation.check_in_with_id else [],
                "grace_minutes": situation.check_in_grace_minutes,
            }
        super().__init__(*args, **kwargs)
        self.user = user
        watchers = field_of(self, "watchers", UserMultipleChoiceField)
        watchers.queryset = team_members().exclude(pk=user.pk)
        use_colleague_picker(watchers)
        place = field_of(self, "place", PlaceChoiceField)
        if situation is not None and situation.place_id:
            # The situation's place stays offered even if archived since.
            place.queryset = places_for_picking() | Place.objects.filter(pk=situation.place_id)
        # Found by typing, never listed (see safespaces.pickers).
        use_place_picker(place)

    def clean_by(self) -> datetime:
        at: time = self.cleaned_data["by"]
        return next_time_at(at, now=timezone.now())


class MoreTimeForm(forms.Form):
    minutes = forms.TypedChoiceField(
        label=_("How much more time?"), choices=MORE_TIME_CHOICES, coerce=int, initial=30
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Call or message"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who you tried, how, and what you heard."),
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (CheckIn.Outcome.SAFE, _("Reached, safe")),
            (CheckIn.Outcome.NOT_REACHED, _("Not reached")),
        ],
        widget=forms.RadioSelect,
        help_text=_("“Not reached” opens the incident form, filled in from this check-in."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The check-in's page shows this form under NoteForm, whose field is also "note": ids of
        # their own, or this label would lead to the other form's box.
        kwargs.setdefault("auto_id", "id_close_%s")
        super().__init__(*args, **kwargs)
