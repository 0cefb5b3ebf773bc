"""How close opening and sealing an encrypted field come to AES-GCM itself.

Seals the same values (an incident's summary of about 70 characters) for N fresh incidents, in
memory, and times in the same process, alternately, best of several rounds:

- raw: `AESGCM.decrypt` / `encrypt` on the values' bytes with their associated data ready;
- field: reading the attribute of an incident loaded with its sealed value (the descriptor, the
  format, the associated data and the UTF-8 decoding included), and `seal_value` for sealing;
- inline: the steps no Python implementation can skip (finding the key by the value's header and
  checking its length, cutting the nonce and the ciphertext out of the stored bytes; or drawing a
  fresh nonce and joining the pieces; building the associated data from the row's key; UTF-8),
  written out in the timing loop itself, with no descriptor and no function call of ours. What
  the field could reach if Python code cost nothing beyond them;
- an inlined descriptor (opening only): the same steps written in a descriptor's `__get__`,
  read as an attribute of a plain object. What a field that opens a value when it is read, as
  ours does so that a page decrypts only what it shows, could reach in Python.

Prints microseconds per value and each one's throughput as a share of raw AES-GCM's.

    .venv/bin/python benchmarks/field_crypto.py
    .venv/bin/python benchmarks/field_crypto.py --values 50000 --rounds 7

Not a test: nothing here fails a build; read the figures. It needs the keys of .env (or the
environment) and no database.
"""

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
SUMMARY = "Man from the old house watched the outreach van near the station, again"


def best_of(rounds: int, runs: dict[str, Callable[[], float]], count: int) -> dict[str, float]:
    """The fastest of `rounds` runs of each, in microseconds per value. The runs take turns, so
    a busy moment on the machine weighs on all of them; each is timed in this process's CPU
    time, which other programs on the machine do not add to."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, run in runs.items():
            best[name] = min(best[name], run())
    return {name: seconds / count * 1e6 for name, seconds in best.items()}


def opened(seconds: float, kept: object) -> float:
    """The time of a run that read the values as attributes, once the last one read holds the
    plaintext: a read that opened nothing (a descriptor the object's own values bypass) would
    otherwise time as a very fast opening."""
    if kept != SUMMARY:
        sys.exit(f"The timed reads did not open the values: the last holds {type(kept).__name__}")
    return seconds


def timed(work: Callable[[], None]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safespaces.settings")
    import django

    django.setup()
    from incidents.models import Incident
    from safespaces.crypto.cipher import NONCE_BYTES, TAG_BYTES, key_ring
    from safespaces.crypto.fields import EncryptedMixin, Sealed

    field = Incident._meta.get_field("summary")
    assert isinstance(field, EncryptedMixin)
    incidents = [Incident(id=uuid.uuid4()) for _ in range(args.values)]
    tokens = [bytes(field.seal_value(incident, SUMMARY) or b"") for incident in incidents]
    ring = key_ring()
    cipher, primary_header = ring.primary_cipher, ring.primary_header
    header = len(primary_header)
    place = field.associated_data(incidents[0])[:-16]  # the model and the field, without the row
    pieces = [
        (t[header : header + NONCE_BYTES], t[header + NONCE_BYTES :], field.associated_data(i))
        for t, i in zip(tokens, incidents, strict=True)
    ]
    pks = [incident.id for incident in incidents]
    plaintext = SUMMARY.encode()

    def raw_open() -> float:
        def work() -> None:
            for nonce, sealed, associated_data in pieces:
                cipher.decrypt(nonce, sealed, associated_data)

        return timed(work)

    def field_open() -> float:
        for incident, token in zip(incidents, tokens, strict=True):
            incident.__dict__["summary"] = Sealed(token)

        def work() -> None:
            for incident in incidents:
                incident.summary  # noqa: B018 - the read is what is measured

        return opened(timed(work), incidents[-1].__dict__["summary"])

    def inline_open() -> float:
        pairs = list(zip(tokens, pks, strict=True))

        def work() -> None:
            for token, pk in pairs:
                # The key by the value's header, and a length check: needed with several keys.
                key = ring.by_header.get(token[:header])
                if key is None or len(token) < header + NONCE_BYTES + TAG_BYTES:
                    raise ValueError("not a sealed value")
                key.decrypt(
                    token[header : header + NONCE_BYTES],
                    token[header + NONCE_BYTES :],
                    place + pk.int.to_bytes(16),
                ).decode()

        return timed(work)

    class Inlined:
        """A descriptor with the inline steps written in its __get__ and nothing else: no call
        to a function of ours, no count for the audit trail. The best a field read through a
        descriptor (so that a page opens only what it shows) can do in Python."""

        def __get__(self, row: "Row", owner: type | None = None) -> str:
            values = row.__dict__
            sealed = values["summary"]
            if sealed.__class__ is Sealed:
                token = sealed.token
                key = ring.by_header.get(token[:header])
                if key is None or len(token) < header + NONCE_BYTES + TAG_BYTES:
                    raise ValueError("not a sealed value")
                sealed = values["summary"] = key.decrypt(
                    token[header : header + NONCE_BYTES],
                    token[header + NONCE_BYTES :],
                    place + values["id"].int.to_bytes(16),
                ).decode()
            return sealed

        def __set__(self, row: "Row", value: object) -> None:
            # A data descriptor, as the field's: the row's own __dict__ would otherwise win.
            row.__dict__["summary"] = value

    class Row:
        summary = Inlined()

    def descriptor_open() -> float:
        rows = []
        for token, pk in zip(tokens, pks, strict=True):
            row = Row()
            row.__dict__.update(id=pk, summary=Sealed(token))
            rows.append(row)

        def work() -> None:
            for row in rows:
                row.summary  # noqa: B018 - the read is what is measured

        return opened(timed(work), rows[-1].__dict__["summary"])

    def raw_seal() -> float:
        def work() -> None:
            for nonce, _, associated_data in pieces:
                cipher.encrypt(nonce, plaintext, associated_data)

        return timed(work)

    def inline_seal() -> float:
        def work() -> None:
            # A fresh nonce for each value, cut from one draw of random bytes for all of them.
            pool = os.urandom(NONCE_BYTES * len(pks))
            for index, pk in enumerate(pks):
                nonce = pool[index * NONCE_BYTES : (index + 1) * NONCE_BYTES]
                (
                    primary_header
                    + nonce
                    + cipher.encrypt(nonce, SUMMARY.encode(), place + pk.int.to_bytes(16))
                )

        return timed(work)

    def field_seal() -> float:
        def work() -> None:
            for incident in incidents:
                field.seal_value(incident, SUMMARY)

        return timed(work)

    count = args.values
    runs = {
        "open raw": raw_open,
        "open field": field_open,
        "open inline": inline_open,
        "open descriptor": descriptor_open,
        "seal raw": raw_seal,
        "seal field": field_seal,
        "seal inline": inline_seal,
    }
    us = best_of(args.rounds, runs, count)
    print(f"{count:,} values of {len(plaintext)} bytes, best of {args.rounds} rounds")
    for name in ("open", "seal"):
        raw, field_us, inline = us[f"{name} raw"], us[f"{name} field"], us[f"{name} inline"]
        print(
            f"{name}: raw AES-GCM {raw:.2f} us; field {field_us:.2f} us, {raw / field_us:.0%} of "
            f"raw throughput; inline {inline:.2f} us, {raw / inline:.0%}"
        )
    raw, descriptor = us["open raw"], us["open descriptor"]
    print(f"open, through an inlined descriptor: {descriptor:.2f} us, {raw / descriptor:.0%}")


if __name__ == "__main__":
    main()
