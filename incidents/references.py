"""Incident references: short enough to read out on the phone, random so they reveal nothing.

A reference such as INC-7KQ2XM is six characters drawn by `secrets` from an alphabet without the
characters people confuse (0 and O, 1, I and L; U, to keep words out): 30^6, about 729 million
references. A numbered reference (INC-2026-0004) told anyone who saw a few of them how many
incidents they were not shown, and when those were logged; a random one tells nothing.
"""

import secrets

from django.db.models import Q

from incidents.models import Incident

PREFIX = "INC-"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 6
# With 10,000 incidents a draw meets a used reference about once in 73,000 draws; five in a row
# that all do, about once in 10^24 incidents logged.
ATTEMPTS = 5


class NoFreeReference(RuntimeError):
    """Every draw met a reference in use: something is wrong with the random source."""


def reference_draw() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def reference_new() -> str:
    """A random reference no incident has, now or formerly. The unique constraint on the column
    stays the last word should two requests draw the same one at the same moment."""
    for _ in range(ATTEMPTS):
        reference = reference_draw()
        if not Incident.objects.filter(reference_is(reference)).exists():
            return reference
    raise NoFreeReference("no free incident reference after several draws")


def reference_is(text: str) -> Q:
    """Incidents known by `text`, their reference or the numbered one they had before, written
    in any case, with or without the INC- prefix and spaces around it."""
    reference = text.strip().upper()
    if not reference.startswith(PREFIX):
        reference = PREFIX + reference
    return Q(reference=reference) | Q(former_reference=reference)
