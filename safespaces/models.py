"""What most records share: a random primary key and, for the editable ones, a version."""

import uuid

from django.db import models


class CodedModel(models.Model):
    """A record whose primary key is a random UUID, which URLs show as its `code`.

    Never a sequential id: that would tell how many records there are and let anyone who holds
    one link guess the next.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True

    @property
    def code(self) -> uuid.UUID:
        return self.id


class VersionedModel(CodedModel):
    """A record edited in the app, with optimistic locking: an edit saves only if nobody saved
    since the form was opened (see `safespaces.editing`)."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True
