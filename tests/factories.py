"""factory_boy factories for the platform's models."""

import uuid
from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role

PASSWORD = "a long test password"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a role and a confirmed authenticator unless told otherwise."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"Test person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: Role | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted.value))

    @factory.post_generation
    def authenticator(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            TOTPDevice.objects.create(user=self, name="authenticator", confirmed=True)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: object = None) -> None:
        if create:
            instance.save()


class PersonFactory(factory.django.DjangoModelFactory):
    """A person with every identity field filled."""

    class Meta:
        model = "people.Person"

    alias = factory.Sequence(lambda n: f"Swallow {n}")
    relation = "member"
    legal_name = factory.Sequence(lambda n: f"Legal Name {n}")
    phone = "+44 7700 900123"
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    address = "12 Example Road"
    messenger = "@signal-handle"
    emergency_contact = "Aunt, +44 7700 900456"
    survivor_status = "survivor"
    notes = "Prefers morning calls."


class IdentityGrantFactory(factory.django.DjangoModelFactory):
    """An active grant for one person, for seven days."""

    class Meta:
        model = "people.IdentityGrant"

    user = factory.SubFactory(UserFactory)
    person = factory.SubFactory(PersonFactory)
    reason = "Accompanying her to court"
    granted_by = factory.SubFactory(UserFactory)
    granted_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ErasureRequestFactory(factory.django.DjangoModelFactory):
    """A pending request to erase a person."""

    class Meta:
        model = "people.ErasureRequest"

    person = factory.SubFactory(PersonFactory)
    reason = "Asked by the person"
    requested_by = factory.SubFactory(UserFactory)


class PlaceFactory(factory.django.DjangoModelFactory):
    """A shelter with a name, an address and notes."""

    class Meta:
        model = "places.Place"

    kind = "shelter"
    name = factory.Sequence(lambda n: f"Safe House {n}")
    address = "7 Hidden Lane, Northtown"
    notes = "Ring twice; door code 4821."


class ActorFactory(factory.django.DjangoModelFactory):
    """A trusted ally in the emergency directory, with contacts and one capability."""

    class Meta:
        model = "allies.Actor"
        skip_postgeneration_save = True

    kind = "organization"
    sector = "shelter"
    stance = "ally"
    power = 3
    trust = 4
    name = factory.Sequence(lambda n: f"Harbour Shelter Network {n}")
    contact_person = "Mira"
    phone = "+44 7700 900123"
    email = "desk@harbour.example"
    messenger = "Signal +44 7700 900124"
    address = "12 Quay Street"
    notes = "Will take people at night if called first."
    in_directory = True
    last_verified = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def capabilities(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create:
            for capability in ["shelter"] if extracted is None else extracted:
                self.capabilities.create(capability=capability)

    @factory.post_generation
    def areas(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.areas.set(extracted)


class AdversaryFactory(ActorFactory):
    """A former exploiter: an actor only coordinators and administrators may see."""

    sector = "criminal_network"
    stance = "adversary"
    power = 4
    trust = None
    in_directory = False
    name = factory.Sequence(lambda n: f"Blue Door Crew {n}")

    @factory.post_generation
    def capabilities(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        """Nothing they offer is of use to the organization."""


class RelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "allies.Relation"

    source = factory.SubFactory(ActorFactory)
    kind = "alliance"
    target = factory.SubFactory(ActorFactory)
    recorded_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)


class EngagementFactory(factory.django.DjangoModelFactory):
    """A request for help that the ally answered in 6 hours."""

    class Meta:
        model = "allies.Engagement"

    actor = factory.SubFactory(ActorFactory)
    date = factory.LazyFunction(timezone.localdate)
    kind = "request"
    purpose = "A bed for tonight"
    outcome = "helped"
    response_hours = 6
    notes = "Called at 22:00."
    recorded_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)


_references = iter(range(1, 10**6))


class IncidentFactory(factory.django.DjangoModelFactory):
    """A team-visible threat with every free-text field filled, logged by a staff member.

    The reference comes from a factory sequence; the app's own random references are tested
    through `incident_report`.
    """

    class Meta:
        model = "incidents.Incident"

    reference = factory.LazyFunction(lambda: f"INC-1999-{next(_references):06d}")
    kind = "threat"
    category = "former_exploiters"
    occurred_on = factory.LazyFunction(timezone.localdate)
    summary = "Followed after outreach"
    description = "A man from the old house followed us to the bus stop."
    location = "Bus stop on the ring road"
    severity = 3
    visibility = "team"
    reporter = factory.SubFactory(UserFactory, role=Role.STAFF)
    impact = "Outreach stopped for a week."
    immediate_response = "We took a taxi back together."
    reported_to = "Nobody yet."
    evidence = "A photo of the car."
    factors = ["gender", "survivor"]
    factors_notes = "He knew her from before."
    lessons = "Leave in pairs."


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "incidents.TimelineEntry"

    incident = factory.SubFactory(IncidentFactory)
    kind = "note"
    body = "Called the shelter to warn them."
    author = factory.SelfAttribute("incident.reporter")


class ThreatAssessmentFactory(factory.django.DjangoModelFactory):
    """A coordinator's assessment of a threat: possible, with every step written.

    Pass `linked_incidents=[...]` for the incidents its step 2 names as related.
    """

    class Meta:
        model = "incidents.ThreatAssessment"
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    facts = "A car waited outside the shelter two nights running."
    pattern = "The same car as in March."
    objective = "To frighten her into withdrawing her statement."
    reasoning = "The plate is known to us."
    conclusion = "possible"
    rationale = "They have done it before, but not here."
    assessed_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)

    @factory.post_generation
    def linked_incidents(
        self, create: bool, extracted: list[object] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            self.linked_incidents.set(extracted)


class ReviewFactory(factory.django.DjangoModelFactory):
    """A team review held today that decided to take measures.

    Pass `participants=[...]` for who took part.
    """

    class Meta:
        model = "incidents.Review"
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    held_on = factory.LazyFunction(timezone.localdate)
    decision = "measures"
    measures = "Rosa walks Lin to the bus after outreach until the end of the month."
    recorded_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)

    @factory.post_generation
    def participants(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.participants.set(extracted)


class AttachmentFactory(factory.django.DjangoModelFactory):
    """The row of a photo added to an incident, without a stored file: enough for what the
    database holds. Tests of the file itself add one through `incidents.services.attachment_add`.
    """

    class Meta:
        model = "incidents.Attachment"

    incident = factory.SubFactory(IncidentFactory)
    file_name = "car-outside-the-shelter.jpg"
    file_key = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    stored_as = factory.Sequence(lambda n: f"{n:032x}")
    content_type = "image/jpeg"
    size = 1024
    uploaded_by = factory.SelfAttribute("incident.reporter")


class DraftFactory(factory.django.DjangoModelFactory):
    """Half an incident report that someone kept to finish later."""

    class Meta:
        model = "drafts.Draft"

    user = factory.SubFactory(UserFactory, role=Role.STAFF)
    form = "incidents:create"
    data = factory.LazyFunction(lambda: {"summary": ["Followed after outreach"]})


class EditBaseFactory(factory.django.DjangoModelFactory):
    """An incident's values as an edit form showed them at version 1."""

    class Meta:
        model = "drafts.EditBase"

    model = "incidents.incident"
    object_id = factory.LazyFunction(uuid.uuid4)
    version = 1
    values = factory.LazyFunction(lambda: {"summary": "Followed after outreach"})


# --- Risk assessment ---------------------------------------------------------------------------


class RiskSituationFactory(factory.django.DjangoModelFactory):
    """Thursday night outreach at the station, every free-text field filled.

    Pass `participants=[...]`, `people=[...]` or `incidents=[...]` to fill the lists.
    """

    class Meta:
        model = "riskassessment.RiskSituation"
        skip_postgeneration_save = True

    kind = "outreach"
    title = "Thursday night outreach at the station"
    objective = "Reach women recruited at the station and offer them a way out."
    starts_on = factory.LazyFunction(timezone.localdate)
    check_in_when = "On arrival, every two hours, and once home."
    check_in_missed = "After 30 minutes Rosa calls; after an hour she calls the shelter."
    created_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)

    @factory.post_generation
    def participants(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.participants.set(extracted)

    @factory.post_generation
    def people(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.people.set(extracted)

    @factory.post_generation
    def incidents(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.incidents.set(extracted)


class RiskAssessmentFactory(factory.django.DjangoModelFactory):
    """Version 1 of a situation's assessment, rated T 4, V 3, C 2 (index 6, high), undecided.

    Levels are stored as the services would store them; call `levels_refresh` after adding
    threats if a test depends on them.
    """

    class Meta:
        model = "riskassessment.Assessment"

    situation = factory.SubFactory(RiskSituationFactory)
    number = factory.Sequence(lambda n: n + 1)
    trigger = "before"
    lens_notes = "Women alone are approached by recruiters more often."
    threat = 4
    vulnerability = 3
    capacity = 2
    inherent_level = 3
    residual_level = 3
    created_by = factory.SelfAttribute("situation.created_by")


class RiskThreatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "riskassessment.Threat"

    assessment = factory.SubFactory(RiskAssessmentFactory)
    description = "The recruiter's men follow outreach workers home."
    likelihood = 3
    impact = 4
    factors = ["gender"]


class VulnerabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "riskassessment.Vulnerability"

    assessment = factory.SubFactory(RiskAssessmentFactory)
    description = "Outreach workers walk to the bus alone."
    category = "physical"
    level = 4
    factors = ["gender", "survivor"]


class CapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "riskassessment.Capacity"

    assessment = factory.SubFactory(RiskAssessmentFactory)
    description = "A check-in routine by secure messenger."
    category = "communication"
    level = 3
    factors = ["age"]


class AlternativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "riskassessment.Alternative"

    assessment = factory.SubFactory(RiskAssessmentFactory)
    description = "Reach the women through the clinic's nurse instead."
    level = 1


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "riskassessment.Measure"

    situation = factory.SubFactory(RiskSituationFactory)
    kind = "reduce_threat"
    description = "Ask the station police liaison to patrol on Thursdays."
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))
    created_by = factory.SelfAttribute("situation.created_by")


class CheckInFactory(factory.django.DjangoModelFactory):
    """An active check-in due in an hour; pass `alarm=...` (with status "alarm" and alarm_at)
    for one whose alarm is raised."""

    class Meta:
        model = "checkins.CheckIn"
        skip_postgeneration_save = True

    person = factory.SubFactory(UserFactory, role=Role.STAFF)
    activity = "Night outreach at the station."
    company = "Kestrel"
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))

    @factory.post_generation
    def watchers(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.watchers.set(extracted)


class CheckInEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "checkins.CheckInEntry"

    check_in = factory.SubFactory(CheckInFactory)
    kind = "call"
    note = "Called her phone twice, no answer."
