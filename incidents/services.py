"""Writes about incidents. Each records an audit event with field names, never a value, and the
changes people care about also become lines of the incident's timeline."""

import errno
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.alerts import (
    incident_alerts_send,
    threat_alerts_send,
    welfare_alerts_settle,
    welfare_done_tell,
)
from incidents.attachments import (
    CheckedFile,
    attachment_name,
    attachment_storage,
    file_discard,
    file_store,
    same_kind,
    seal_file,
)
from incidents.models import (
    Attachment,
    EntryKind,
    Incident,
    Review,
    Status,
    ThreatAssessment,
    TimelineEntry,
)
from incidents.references import reference_new
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.drafts.services import draft_discard
from safespaces.editing import EditConflict, save_if_unchanged

logger = logging.getLogger(__name__)

# The URL name of the form whose drafts are kept (see safespaces.drafts).
LOG_FORM = "incidents:create"
# Changes that become automatic timeline entries, with the entry kind each makes.
TRACKED = {
    "status": EntryKind.STATUS,
    "severity": EntryKind.SEVERITY,
    "visibility": EntryKind.VISIBILITY,
}


def _filled(incident: Incident) -> list[str]:
    return [
        field.name
        for field in Incident._meta.concrete_fields
        if field.editable and field.name != "version" and getattr(incident, field.attname)
    ]


def _entry(incident: Incident, kind: EntryKind, by: User, **values: Any) -> TimelineEntry:
    return TimelineEntry.objects.create(incident=incident, kind=kind, author=by, **values)


@transaction.atomic
def incident_report(
    *, incident: Incident, affected_people: Iterable[Any], shared_with: Iterable[Any], by: User
) -> Incident:
    """Log a new incident: give it its reference, open its timeline, drop the reporter's draft."""
    incident.reference = reference_new()
    incident.reporter = by
    incident.save(force_insert=True)
    incident.affected_people.set(affected_people)
    incident.shared_with.set(shared_with)
    _entry(incident, EntryKind.LOGGED, by)
    fields = _filled(incident) + (["affected_people"] if incident.affected_people.exists() else [])
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=incident, fields=fields)
    draft_discard(user=by, form=LOG_FORM)
    incident_alerts_send(incident, by=by)
    return incident


def _record_tracked_changes(incident: Incident, before: dict[str, Any], by: User) -> None:
    for name, kind in TRACKED.items():
        old, new = before[name], getattr(incident, name)
        if old != new:
            _entry(incident, kind, by, old_value=str(old), new_value=str(new))


def _tracked_values(incident_id: Any) -> dict[str, Any]:
    # With what the alerts compare: an edit that asks for a check-in alerts as logging does.
    return Incident.objects.values(*TRACKED, "welfare_follow_up").get(pk=incident_id)


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    seen_version: int,
    affected_people: Iterable[Any],
    shared_with: Iterable[Any],
    changed: list[str],
    by: User,
) -> Incident:
    """Save an edit unless someone saved the incident since the form was opened. An edit that
    asks for a check-in or makes the incident serious alerts as logging such an incident does."""
    before = _tracked_values(incident.pk)
    save_if_unchanged(incident, seen_version=seen_version)
    incident.affected_people.set(affected_people)
    incident.shared_with.set(shared_with)
    _record_tracked_changes(incident, before, by)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=incident, fields=changed)
    # After the new visibility and names are saved: they decide who may hear of it.
    incident_alerts_send(incident, by=by, before=before)
    return incident


def _mark_reviewed(incident: Incident) -> None:
    if incident.first_reviewed_at is None:
        incident.first_reviewed_at = timezone.now()


@transaction.atomic
def incident_set_status(*, incident: Incident, status: Status, by: User) -> Incident:
    """Move the incident along; the first move beyond "new" counts as the team having looked."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status == status:
        return locked
    before = {name: getattr(locked, name) for name in TRACKED}
    locked.status = status
    if status != Status.NEW:
        _mark_reviewed(locked)
    # A new version: an edit form opened before this sees the conflict instead of undoing it.
    locked.version += 1
    locked.save(update_fields=["status", "first_reviewed_at", "version", "updated_at"])
    _record_tracked_changes(locked, before, by)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=locked, fields=["status"])
    return locked


@transaction.atomic
def entry_add(
    *,
    incident: Incident,
    entry: TimelineEntry,
    by: User,
) -> TimelineEntry:
    """Add a line people wrote (a note, an action, a contact, a correction)."""
    entry.incident = incident
    entry.author = by
    entry.save(force_insert=True)
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=entry, fields=["body"])
    return entry


@transaction.atomic
def welfare_done(*, incident: Incident, by: User) -> Incident:
    """Someone checked in with the reporter: on the timeline, without what was said, and the
    reporter is told it is recorded (they asked for it)."""
    incident.welfare_done_at = timezone.now()
    incident.welfare_done_by = by
    # A new version: an edit form opened before this sees the conflict instead of undoing it.
    incident.version += 1
    incident.save(update_fields=["welfare_done_at", "welfare_done_by", "version", "updated_at"])
    _entry(incident, EntryKind.WELFARE, by)
    audit_record(
        action=AuditEvent.Action.CHANGE, actor=by, target=incident, fields=["welfare_done_at"]
    )
    welfare_alerts_settle(incident)
    welfare_done_tell(incident, by=by)
    return incident


# --- Threat assessment and team review ---------------------------------------------------------


def _note_first_look(incident: Incident) -> None:
    """The team has looked at the incident. Only the first look counts, for the time it took:
    one conditional update, so a later look never moves it."""
    # A new version too, so an edit opened before cannot write the empty value back.
    Incident.objects.filter(pk=incident.pk, first_reviewed_at__isnull=True).update(
        first_reviewed_at=timezone.now(), version=F("version") + 1
    )


@transaction.atomic
def assessment_save(
    *,
    assessment: ThreatAssessment,
    seen_version: int | None,
    linked: Iterable[Any],
    changed: list[str],
    by: User,
) -> ThreatAssessment:
    """Record the five steps: a first assessment when `seen_version` is None, otherwise an edit
    unless someone saved the assessment since the form was opened.

    Either way the timeline says the threat was assessed, with the conclusion, and the incident
    counts as looked at; a conclusion raised to likely or imminent alerts the coordinators.
    """
    incident = assessment.incident
    assessment.assessed_by = by
    before = (
        None
        if seen_version is None
        else ThreatAssessment.objects.values_list("conclusion", flat=True).get(pk=assessment.pk)
    )
    if seen_version is None:
        # The incident's row lock serialises two first assessments: the second one is told,
        # as for any edit, that someone else saved meanwhile.
        Incident.objects.select_for_update().only("id").get(pk=incident.pk)
        if ThreatAssessment.objects.filter(incident=incident).exists():
            raise EditConflict
        assessment.save(force_insert=True)
    else:
        save_if_unchanged(assessment, seen_version=seen_version)
    assessment.linked_incidents.set(linked)
    _entry(incident, EntryKind.ASSESSMENT, by, new_value=assessment.conclusion)
    _note_first_look(incident)
    action = AuditEvent.Action.CREATE if seen_version is None else AuditEvent.Action.CHANGE
    audit_record(action=action, actor=by, target=assessment, fields=changed)
    threat_alerts_send(assessment, by=by, before=before)
    return assessment


@transaction.atomic
def review_record(*, review: Review, participants: Iterable[Any], by: User) -> Review:
    """Record that the team looked at the incident together and what it decided.

    A new incident moves on to "under review" through the status change the timeline shows.
    """
    incident = review.incident
    review.recorded_by = by
    review.save(force_insert=True)
    participants = list(participants)
    review.participants.set(participants)
    _entry(incident, EntryKind.REVIEW, by, new_value=review.decision)
    # Locked until the transaction ends: a status someone sets meanwhile is not overwritten.
    status = Incident.objects.select_for_update().values_list("status", flat=True)
    if status.get(pk=incident.pk) == Status.NEW:
        incident_set_status(incident=incident, status=Status.UNDER_REVIEW, by=by)
    _note_first_look(incident)
    optional = {"participants": participants, "measures": review.measures}
    filled = ["held_on", "decision", *[name for name, value in optional.items() if value]]
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=review, fields=filled)
    return review


class AttachmentNotStored(Exception):
    """The file could not be written (a full or failing disk): nothing was kept."""


def attachment_add(
    *, incident: Incident, upload: CheckedFile, by: User, note: str = "", name: str = ""
) -> Attachment:
    """Keep a checked file as evidence: sealed with a key of its own, listed on the incident
    under the name typed or a neutral one ("photo-2.jpg", see attachments.attachment_name), and
    a line on its timeline ("Evidence added") with what it shows, if the person said.

    The file is written first, inside the clean-up: a write that fails part way leaves nothing
    (the storage removes its partial file, see safespaces.files) and raises AttachmentNotStored,
    and rows that cannot be saved take the file with them. If an enclosing transaction (the
    request's) rolls back after this returns, the file does stay, as ciphertext whose key was
    never committed: nobody can open it, and `attachment_orphans_remove` clears it away later.
    The other order would be worse: rows committed for a file that failed to write would be
    evidence lost without a word.
    """
    # Two files of a kind added at the same moment may share a number: names are labels, never
    # keys (a download goes by the attachment's code).
    number = incident.attachments.filter(content_type__in=same_kind(upload.kind)).count() + 1
    attachment = Attachment(
        incident=incident,
        file_name=attachment_name(typed=name, kind=upload.kind, number=number),
        content_type=upload.content_type,
        size=len(upload.data),
        uploaded_by=by,
    )
    attachment.file_key, sealed = seal_file(upload.data, attachment_id=attachment.pk)
    try:
        try:
            attachment.stored_as = file_store(sealed)
        except OSError as error:
            # The errno's name only (ENOSPC, EIO): never a path or a value.
            reason = errno.errorcode.get(error.errno or 0, "unknown")
            logger.error("An attachment could not be stored: %s", reason)
            raise AttachmentNotStored from error
        with transaction.atomic():
            attachment.save(force_insert=True)
            _entry(incident, EntryKind.EVIDENCE, by, attachment=attachment, body=note)
            audit_record(
                action=AuditEvent.Action.CREATE,
                actor=by,
                target=attachment,
                fields=["content_type", "file_name", "size"],
            )
    except BaseException:
        if attachment.stored_as:
            file_discard(attachment.stored_as)
        raise
    return attachment


# --- Files no attachment refers to ------------------------------------------------------------

# The names `file_store` gives: 32 hex digits, and Django's "_" and 7 characters on a clash.
# Nothing else in the folder is ours to remove.
STORED_NAME = re.compile(r"^[0-9a-f]{32}(_[A-Za-z0-9]{7})?$")
# A younger file may be an upload whose transaction has not committed yet: its row is coming.
ORPHAN_MIN_AGE = timedelta(hours=1)


class TooManyOrphans(Exception):
    """More than half of the stored files have no row: more likely the wrong database, or a
    restore still under way, than litter. Nothing was removed."""


@dataclass
class OrphanSweep:
    """What `attachment_orphans_remove` found: file names (random, they say nothing) and sizes."""

    removed: dict[str, int] = field(default_factory=dict)  # name -> bytes
    kept: int = 0  # files an attachment refers to
    too_young: list[str] = field(default_factory=list)  # no row yet, but maybe one is coming
    not_ours: list[str] = field(default_factory=list)  # names file_store never gives

    @property
    def freed(self) -> int:
        return sum(self.removed.values())


def attachment_orphans_remove(
    *, dry_run: bool = False, force: bool = False, now: datetime | None = None
) -> OrphanSweep:
    """Remove the stored files no attachment refers to and that are older than ORPHAN_MIN_AGE.

    They come from uploads whose request failed after the file was written (see attachment_add)
    and from attachments deleted with their rows. The files are listed before the rows are read,
    so a file whose row commits in between is young and stays. With `dry_run`, nothing is
    removed and the result says what would be. Refuses (TooManyOrphans) to take more than half
    of the files unless `force`.
    """
    now = now or timezone.now()
    storage = attachment_storage()
    try:
        _folders, names = storage.listdir("")
    except FileNotFoundError:
        return OrphanSweep()  # no attachment was ever stored
    referenced = set(Attachment.objects.values_list("stored_as", flat=True))
    sweep, candidates = OrphanSweep(), []
    for name in sorted(names):
        if not STORED_NAME.match(name):
            sweep.not_ours.append(name)
        elif name in referenced:
            sweep.kept += 1
        elif storage.get_modified_time(name) > now - ORPHAN_MIN_AGE:
            sweep.too_young.append(name)
        else:
            candidates.append(name)
    if not force and len(candidates) > 3 and len(candidates) * 2 > len(candidates) + sweep.kept:
        raise TooManyOrphans(
            f"{len(candidates)} of {len(candidates) + sweep.kept} stored files have no "
            "attachment: is this the right database, and is no restore under way? "
            "Nothing was removed."
        )
    for name in candidates:
        sweep.removed[name] = storage.size(name)
        if not dry_run:
            storage.delete(name)
    if sweep.removed and not dry_run:
        logger.info(
            "Removed %d attachment files no record refers to (%d bytes).",
            len(sweep.removed),
            sweep.freed,
        )
    return sweep
