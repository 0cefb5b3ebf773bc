"""An older Postgres database, whose encrypted columns are text holding base64, gets binary
columns from its migration, and every value in them still opens."""

import pytest
from django.apps import apps
from django.db import connection

from safespaces.crypto.cipher import is_binary, seal
from safespaces.crypto.columns import sealed_columns_to_binary
from safespaces.places.models import Place
from tests.crypto.support import raw_value, write_raw
from tests.factories import PlaceFactory

pytestmark = [
    pytest.mark.django_db,
    # SQLite keeps bytes and text in any column: its step does nothing (tested below).
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]


def column_types() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            [Place._meta.db_table],
        )
        return dict(cursor.fetchall())


def test_text_columns_become_binary_and_their_values_still_open() -> None:
    place = PlaceFactory(name="Placeholder", notes="")
    tokens = {
        field: seal(value, associated_data=f"places.Place\x1f{field}\x1f{place.pk}".encode())
        for field, value in [("name", b"Harbour shelter"), ("address", b"1 Quay"), ("notes", b"")]
    }
    for field, token in tokens.items():
        write_raw(Place, field, place.pk, token.encode())
    with connection.cursor() as cursor:  # the place table as an older version created it
        cursor.execute(
            "ALTER TABLE places_place ALTER COLUMN name TYPE text USING convert_from(name, 'UTF8'),"
            " ALTER COLUMN address TYPE text USING convert_from(address, 'UTF8'),"
            " ALTER COLUMN notes TYPE text USING convert_from(notes, 'UTF8')"
        )
    assert column_types()["name"] == "text"

    with connection.schema_editor() as editor:
        sealed_columns_to_binary("places").code(apps, editor)

    types = column_types()
    assert (types["name"], types["address"], types["notes"]) == ("bytea", "bytea", "bytea")
    assert raw_value(Place, "name", place.pk) == tokens["name"].encode()
    assert not is_binary(raw_value(Place, "name", place.pk))
    reloaded = Place.objects.get(pk=place.pk)
    assert (reloaded.name, reloaded.address, reloaded.notes) == ("Harbour shelter", "1 Quay", "")


def test_a_database_with_binary_columns_is_left_as_it_is() -> None:
    place = PlaceFactory(name="Harbour shelter")
    before = raw_value(Place, "name", place.pk)

    with connection.schema_editor() as editor:
        sealed_columns_to_binary("places").code(apps, editor)

    assert column_types()["name"] == "bytea"
    assert raw_value(Place, "name", place.pk) == before
    assert is_binary(before)
