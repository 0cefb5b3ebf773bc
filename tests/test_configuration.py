"""A mistake in the environment stops the app at start-up with a message that names the variable
and says what it should hold, never with a traceback from deep inside a library, a quiet default,
or a repetition of the value (a DATABASE_URL holds a password)."""

import importlib.util
from pathlib import Path

import environ
import pytest

from safespaces.configuration import Configuration
from tests.crypto.test_keys import start_django

DEVELOPMENT_FILE = Path("/srv/safespaces/db.sqlite3")


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> "Reader":
    return Reader(monkeypatch)


class Reader:
    """A Configuration over an environment holding only the variables a test sets."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def __call__(self, **variables: str) -> Configuration:
        self.monkeypatch.setattr(environ.Env, "ENVIRON", dict(variables))
        return Configuration(environ.Env())


def database(config: Configuration, *, debug: bool = False) -> dict[str, object]:
    return config.database("DATABASE_URL", debug=debug, development_file=DEVELOPMENT_FILE)


@pytest.mark.parametrize(
    "address",
    [
        "notaurl",
        "postgress://app:s3cret-pass@db/safespaces",
        "mysql://app:s3cret-pass@db/safespaces",
        "postgres://app:s3cret-pass@db:port/safespaces",
        "postgres://app:s3cret-pass@db",
        "sqlite://",
    ],
)
def test_a_database_url_that_is_no_usable_address_is_named_and_not_repeated(
    read: Reader, address: str
) -> None:
    config = read(DATABASE_URL=address)

    database(config)

    assert len(config.problems) == 1
    assert config.problems[0].startswith(
        "DATABASE_URL is not a database address SafeSpaces can use. "
        "Use postgres://user:password@host:5432/name"
    )
    assert "s3cret" not in config.problems[0]


POSTGRES, SQLITE = "django.db.backends.postgresql", "django.db.backends.sqlite3"


@pytest.mark.parametrize(
    ("address", "engine", "name"),
    [
        ("postgres://app:pass@db:5432/safespaces", POSTGRES, "safespaces"),
        ("postgresql://app@/safespaces?host=/run/postgresql", POSTGRES, "safespaces"),
        ("sqlite:////var/lib/safespaces/db.sqlite3", SQLITE, "/var/lib/safespaces/db.sqlite3"),
    ],
)
def test_a_good_database_url_is_taken_as_it_is(
    read: Reader, address: str, engine: str, name: str
) -> None:
    config = read(DATABASE_URL=address)

    settings = database(config)

    assert config.problems == []
    assert (settings["ENGINE"], settings["NAME"]) == (engine, name)


def test_without_a_database_url_production_is_refused(read: Reader) -> None:
    config = read()

    database(config, debug=False)

    assert config.problems == [
        "DATABASE_URL is not set. Set it to the database's address: "
        "postgres://user:password@host:5432/name, or on a single machine "
        "sqlite:////var/lib/safespaces/db.sqlite3 (four slashes before an absolute path). "
        "Only development (DEBUG=true) falls back to db.sqlite3 in the project folder."
    ]


def test_without_a_database_url_development_uses_the_project_folder(read: Reader) -> None:
    config = read()

    settings = database(config, debug=True)

    assert config.problems == []
    assert settings["NAME"] == str(DEVELOPMENT_FILE)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("five", "AXES_FAILURE_LIMIT must be a whole number, such as 5."),
        ("0", "AXES_FAILURE_LIMIT must be 1 or more."),
    ],
)
def test_a_number_that_is_not_one_is_named(read: Reader, value: str, problem: str) -> None:
    config = read(AXES_FAILURE_LIMIT=value)

    limit = config.integer("AXES_FAILURE_LIMIT", default=5, minimum=1)

    assert config.problems == [problem]
    assert limit == 5


def test_a_number_is_read(read: Reader) -> None:
    config = read(AXES_FAILURE_LIMIT=" 8 ")

    assert config.integer("AXES_FAILURE_LIMIT", default=5, minimum=1) == 8
    assert config.problems == []


def test_an_unknown_log_level_is_named_with_the_ones_there_are(read: Reader) -> None:
    config = read(LOG_LEVEL="VERBOSE")

    config.log_level("LOG_LEVEL", default="INFO")

    assert config.problems == ["LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."]


def test_a_log_level_in_any_case_is_read(read: Reader) -> None:
    config = read(LOG_LEVEL="warning")

    assert config.log_level("LOG_LEVEL", default="INFO") == "WARNING"
    assert config.problems == []


def test_a_yes_or_no_that_is_neither_is_named_instead_of_read_as_no(read: Reader) -> None:
    config = read(SECURE_COOKIES="ture", DEBUG="False", SECURE_HSTS_PRELOAD="yes")

    assert config.boolean("SECURE_COOKIES", default=True) is True
    assert config.boolean("DEBUG", default=True) is False
    assert config.boolean("SECURE_HSTS_PRELOAD", default=False) is True
    assert config.problems == ["SECURE_COOKIES must be true or false."]


def test_production_does_not_start_and_lists_every_problem_at_once() -> None:
    result = start_django(
        DATABASE_URL="", AXES_FAILURE_LIMIT="five", LOG_LEVEL="VERBOSE", SECURE_COOKIES="ture"
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: SafeSpaces cannot start:\n- DATABASE_URL is not set." in (
        result.stderr
    )
    assert "\n- AXES_FAILURE_LIMIT must be a whole number, such as 5." in result.stderr
    assert "\n- LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL." in result.stderr
    assert "\n- SECURE_COOKIES must be true or false." in result.stderr
    assert "KeyError" not in result.stderr


def test_a_database_url_that_is_not_an_address_stops_it_without_a_key_error() -> None:
    result = start_django(DATABASE_URL="notaurl")

    assert result.returncode != 0
    assert "- DATABASE_URL is not a database address SafeSpaces can use." in result.stderr
    assert "KeyError" not in result.stderr


def test_the_file_safespaces_env_file_names_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("SECURE_COOKIES=false\n")

    result = start_django(SAFESPACES_ENV_FILE=str(env_file))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["session", "False"]


def test_the_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("SECURE_COOKIES=false\n")

    result = start_django(SAFESPACES_ENV_FILE=str(env_file), SECURE_COOKIES="true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["__Host-session", "True"]


def test_an_env_file_that_is_not_there_is_named_instead_of_ignored(tmp_path: Path) -> None:
    result = start_django(SAFESPACES_ENV_FILE=str(tmp_path / "missing"))

    assert result.returncode != 0
    assert "- SAFESPACES_ENV_FILE names a file that does not exist or cannot be read." in (
        result.stderr
    )
    assert "missing" not in result.stderr.split("SafeSpaces cannot start:")[1]


# --- Object storage for attachments -------------------------------------------------------------

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_without_a_bucket_there_is_no_object_storage(read: Reader) -> None:
    config = read(ATTACHMENTS_S3_ENDPOINT_URL="https://objects.example.org")

    assert config.object_storage("ATTACHMENTS_S3_") is None
    assert config.problems == []


def test_a_bucket_and_the_way_to_it_are_read(read: Reader) -> None:
    config = read(
        ATTACHMENTS_S3_BUCKET="safespaces-attachments",
        ATTACHMENTS_S3_ENDPOINT_URL="https://objects.example.org:9000",
        ATTACHMENTS_S3_REGION="eu-central-1",
        ATTACHMENTS_S3_ADDRESSING_STYLE="Path",
        ATTACHMENTS_S3_ACCESS_KEY_ID="AKIAEXAMPLE",
        ATTACHMENTS_S3_SECRET_ACCESS_KEY=SECRET,
    )

    options = config.object_storage("ATTACHMENTS_S3_")

    assert config.problems == []
    assert options == {
        "bucket_name": "safespaces-attachments",
        "endpoint_url": "https://objects.example.org:9000",
        "region_name": "eu-central-1",
        "addressing_style": "path",
        "access_key": "AKIAEXAMPLE",
        "secret_key": SECRET,
    }


def test_without_keys_of_its_own_the_servers_credentials_are_used(read: Reader) -> None:
    config = read(ATTACHMENTS_S3_BUCKET="safespaces-attachments")

    options = config.object_storage("ATTACHMENTS_S3_")

    assert config.problems == []
    assert options is not None
    assert (options["access_key"], options["secret_key"], options["endpoint_url"]) == (
        None,
        None,
        None,
    )
    assert options["addressing_style"] == "auto"


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        (
            {"ATTACHMENTS_S3_BUCKET": "s3://safespaces-attachments"},
            "ATTACHMENTS_S3_BUCKET must be a bucket's name alone",
        ),
        (
            {"ATTACHMENTS_S3_ENDPOINT_URL": "objects.example.org"},
            "ATTACHMENTS_S3_ENDPOINT_URL must be the storage's https:// address",
        ),
        (
            {"ATTACHMENTS_S3_ENDPOINT_URL": "http://objects.example.org:9000"},
            "ATTACHMENTS_S3_ENDPOINT_URL must be the storage's https:// address",
        ),
        (
            {"ATTACHMENTS_S3_ADDRESSING_STYLE": "dns"},
            "ATTACHMENTS_S3_ADDRESSING_STYLE must be one of auto, path, virtual.",
        ),
        (
            {"ATTACHMENTS_S3_SECRET_ACCESS_KEY": SECRET},
            "ATTACHMENTS_S3_ACCESS_KEY_ID and ATTACHMENTS_S3_SECRET_ACCESS_KEY are set together",
        ),
    ],
)
def test_object_storage_that_cannot_be_used_is_named_without_its_secret(
    read: Reader, variables: dict[str, str], problem: str
) -> None:
    config = read(**{"ATTACHMENTS_S3_BUCKET": "safespaces-attachments", **variables})

    config.object_storage("ATTACHMENTS_S3_")

    assert len(config.problems) == 1
    assert config.problems[0].startswith(problem)
    assert SECRET not in config.problems[0]


def test_a_bucket_without_the_library_names_the_extra_to_install(
    read: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = read(ATTACHMENTS_S3_BUCKET="safespaces-attachments")
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "storages" else found(name)
    )

    config.object_storage("ATTACHMENTS_S3_")

    assert config.problems == [
        "ATTACHMENTS_S3_BUCKET is set, but the object storage library is not installed: "
        "pip install 'safespaces[s3]' in the app's environment."
    ]


ATTACHMENTS_BACKEND = "print(settings.STORAGES['attachments']['BACKEND'])"


def test_a_bucket_puts_the_attachments_in_object_storage() -> None:
    result = start_django(
        ATTACHMENTS_BACKEND, ATTACHMENTS_DIR="", ATTACHMENTS_S3_BUCKET="safespaces-attachments"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "safespaces.objectstorage.PrivateS3Storage"


def test_without_a_bucket_the_attachments_stay_in_a_folder() -> None:
    result = start_django(ATTACHMENTS_BACKEND, ATTACHMENTS_DIR="", ATTACHMENTS_S3_BUCKET="")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "safespaces.files.PrivateFileSystemStorage"


def test_a_folder_and_a_bucket_at_once_are_refused(tmp_path: Path) -> None:
    result = start_django(
        ATTACHMENTS_BACKEND,
        ATTACHMENTS_DIR=str(tmp_path),
        ATTACHMENTS_S3_BUCKET="safespaces-attachments",
    )

    assert result.returncode != 0
    assert "- ATTACHMENTS_DIR and ATTACHMENTS_S3_BUCKET are both set." in result.stderr
