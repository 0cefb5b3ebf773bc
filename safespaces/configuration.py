"""Reading the environment for settings.py, with messages that name the variable at fault.

django-environ alone turns a mistyped value into an error far from its cause (`KeyError:
'ENGINE'` for a DATABASE_URL that is not an address, a ValueError from int() without the
variable's name, a logging error for an unknown level), or into a quiet default: "ture" reads as
false, and an unset DATABASE_URL as a SQLite file in the code folder. Here each value is checked
as it is read; every problem is collected, and settings.py reports them all at once before
Django starts. Messages never repeat a value: a DATABASE_URL holds a password.

Like safespaces.crypto.keys, this module reads no Django settings, so settings.py can use it.
"""

import importlib.util
import re
from pathlib import Path
from typing import Any

import environ

TRUE = frozenset({"true", "on", "yes", "y", "1", "ok"})
FALSE = frozenset({"false", "off", "no", "n", "0", ""})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The databases SafeSpaces runs on (the audit trail's locks and triggers are written for them).
DATABASE_SCHEMES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "psql": "django.db.backends.postgresql",
    "sqlite": "django.db.backends.sqlite3",
}
# A Postgres duration as `-c statement_timeout=` takes it: a number and an optional unit, no
# space (the value goes into a connection option where a space would split it). 0 is "no limit".
POSTGRES_DURATION = re.compile(r"^[0-9]+(ms|s|min)?$")
# S3's rules for a bucket's name; other S3-compatible servers follow them too.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# HTTPS, or plain HTTP to a storage on the same machine only (a local test server): keys and
# object names never cross a network in the clear.
ENDPOINT_URL = re.compile(r"^(https://[^/\s?#]+|http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?)/?$")
ADDRESSING_STYLES = ("auto", "path", "virtual")
DATABASE_EXAMPLES = (
    "postgres://user:password@host:5432/name, or on a single machine "
    "sqlite:////var/lib/safespaces/db.sqlite3 (four slashes before an absolute path)"
)


class Configuration:
    """Typed values from the environment; what is wrong goes into `problems`, and the value
    given back is the default, so the rest of the settings can still be read and checked."""

    def __init__(self, env: environ.Env) -> None:
        self.env = env
        self.problems: list[str] = []

    def _raw(self, name: str) -> str | None:
        value = self.env.str(name, default=None)
        return None if value is None else value.strip()

    def boolean(self, name: str, *, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.lower() in TRUE:
            return True
        if raw.lower() not in FALSE:
            self.problems.append(f"{name} must be true or false.")
            return default
        return False

    def integer(self, name: str, *, default: int, minimum: int = 0) -> int:
        raw = self._raw(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name} must be a whole number, such as {default}.")
            return default
        if value < minimum:
            self.problems.append(f"{name} must be {minimum} or more.")
            return default
        return value

    def postgres_duration(self, name: str, *, default: str) -> str:
        raw = self._raw(name)
        if not raw:
            return default
        if not POSTGRES_DURATION.match(raw):
            self.problems.append(
                f"{name} must be a duration such as {default}, 500ms or 2min (0: no limit)."
            )
            return default
        return raw

    def log_level(self, name: str, *, default: str) -> str:
        raw = (self._raw(name) or default).upper()
        if raw not in LOG_LEVELS:
            self.problems.append(f"{name} must be one of {', '.join(LOG_LEVELS)}.")
            return default
        return raw

    def choice(self, name: str, options: tuple[str, ...], *, default: str) -> str:
        raw = (self._raw(name) or default).lower()
        if raw not in options:
            self.problems.append(f"{name} must be one of {', '.join(options)}.")
            return default
        return raw

    def database(self, name: str, *, debug: bool, development_file: Path) -> dict[str, Any]:
        """The database of `name`'s URL. Unset, development (DEBUG) gets `development_file`;
        production is refused, never handed a database in the code folder that an upgrade or a
        new checkout would leave behind."""
        raw = self._raw(name)
        if not raw:
            if not debug:
                self.problems.append(
                    f"{name} is not set. Set it to the database's address: {DATABASE_EXAMPLES}. "
                    "Only development (DEBUG=true) falls back to db.sqlite3 in the project folder."
                )
            return environ.Env.db_url_config(f"sqlite:///{development_file}")
        scheme = raw.partition("://")[0].lower() if "://" in raw else ""
        # Checked before django-environ parses it: on an unknown scheme it prints a warning
        # with every part of the address, the password included.
        config = {}
        if scheme in DATABASE_SCHEMES:
            try:
                config = environ.Env.db_url_config(raw)
            except ValueError:  # a port that is not a number, and the like
                pass
        # Without a name: "postgres://host", or "sqlite://", a database in memory, gone at exit.
        named = config.get("NAME") not in (None, "", ":memory:")
        if not named or config.get("ENGINE") != DATABASE_SCHEMES.get(scheme):
            self.problems.append(
                f"{name} is not a database address SafeSpaces can use. Use {DATABASE_EXAMPLES}."
            )
            return environ.Env.db_url_config(f"sqlite:///{development_file}")
        return config

    def object_storage(self, prefix: str) -> dict[str, Any] | None:
        """The options of S3-compatible object storage named by the variables starting with
        `prefix` (`<prefix>BUCKET`, `<prefix>ENDPOINT_URL`, ...), or None when no bucket is set.
        Messages never repeat the secret key."""
        bucket = self._raw(f"{prefix}BUCKET") or ""
        if not bucket:
            return None
        if not BUCKET_NAME.match(bucket) or ".." in bucket:
            self.problems.append(
                f"{prefix}BUCKET must be a bucket's name alone (3 to 63 lower-case letters, "
                "digits, dots and hyphens, such as safespaces-attachments), not an address."
            )
        endpoint = self._raw(f"{prefix}ENDPOINT_URL") or None
        if endpoint is not None and not ENDPOINT_URL.match(endpoint):
            self.problems.append(
                f"{prefix}ENDPOINT_URL must be the storage's https:// address, such as "
                "https://s3.eu-central-1.amazonaws.com or https://objects.example.org:9000, "
                "or empty for Amazon S3 in the region set. Plain http:// is taken only for a "
                "storage on this machine (127.0.0.1)."
            )
            endpoint = None
        style = self.choice(f"{prefix}ADDRESSING_STYLE", ADDRESSING_STYLES, default="auto")
        access_key = self._raw(f"{prefix}ACCESS_KEY_ID") or None
        secret_key = self._raw(f"{prefix}SECRET_ACCESS_KEY") or None
        if (access_key is None) != (secret_key is None):
            self.problems.append(
                f"{prefix}ACCESS_KEY_ID and {prefix}SECRET_ACCESS_KEY are set together, or "
                "neither (then the server's own credentials are used: an instance role, or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)."
            )
        # The library is an optional extra: a single machine on a local folder needs none of it.
        if not all(importlib.util.find_spec(library) for library in ("boto3", "storages")):
            self.problems.append(
                f"{prefix}BUCKET is set, but the object storage library is not installed: "
                "pip install 'safespaces[s3]' in the app's environment."
            )
        return {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": self._raw(f"{prefix}REGION") or None,
            "addressing_style": style,
            "access_key": access_key,
            "secret_key": secret_key,
        }
