"""SafeSpaces settings: one file, driven by the environment.

Out of the box (no environment) the app runs with DEBUG off and refuses to start until keys are
set; `make run` writes a local `.env` with DEBUG on and fresh keys. Production differs only by
environment values: see `.env.example` and docs/operations.md.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from safespaces.configuration import Configuration
from safespaces.crypto.keys import key_problems

BASE_DIR = Path(__file__).resolve().parent.parent
# templates/, static/ and locale/ sit at the root of a checkout; a built package carries them in
# safespaces/bundled/ (setup.py). Installed, BASE_DIR is site-packages: nothing is written there,
# and no file is read from it.
BUNDLED = Path(__file__).resolve().parent / "bundled"
INSTALLED = BUNDLED.is_dir()
PROJECT_FILES = BUNDLED if INSTALLED else BASE_DIR

env = environ.Env()
# The environment first; then the file SAFESPACES_ENV_FILE names, or a checkout's own .env
# (`make run` writes it). An installed package reads no file unless one is named: which
# configuration a command gets must not depend on the folder it was started in.
ENV_FILE = os.environ.get("SAFESPACES_ENV_FILE", "")
# Typed values, each checked as it is read; every problem is reported at the end of this file,
# all at once, naming its variable (safespaces.configuration).
config = Configuration(env)
if ENV_FILE and not Path(ENV_FILE).is_file():
    config.problems.append(
        "SAFESPACES_ENV_FILE names a file that does not exist or cannot be read. "
        "Name the configuration file (such as /etc/safespaces/env), or unset it."
    )
elif ENV_FILE or not INSTALLED:
    environ.Env.read_env(Path(ENV_FILE) if ENV_FILE else BASE_DIR / ".env", overwrite=False)

DEBUG = config.boolean("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS", default="")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="")
AUDIT_KEY = env.str("AUDIT_KEY", default="")
# Audit keys used before the last rotations, comma separated: the trail's older rows verify under
# them (`rotate_audit_key`, docs/operations.md).
AUDIT_KEY_PREVIOUS = env.str("AUDIT_KEY_PREVIOUS", default="")

# A production server must never start with missing or weak keys: say which and how to fix it.
# The database cannot be asked yet whether it holds data, so the advice is the key backup, never
# fresh keys (`holds_data=None`); the key check finds keys that do not open the data
# (safespaces.crypto.keycheck). In DEBUG the same problems are reported by the system check
# `crypto.E001`, which can ask the database.
if not DEBUG:
    config.problems += key_problems(
        secret_key=SECRET_KEY,
        field_keys=FIELD_ENCRYPTION_KEYS,
        blind_index_key=BLIND_INDEX_KEY,
        audit_key=AUDIT_KEY,
        audit_key_previous=AUDIT_KEY_PREVIOUS,
        holds_data=None,
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "safespaces.apps.SafeSpacesAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Django's own form templates, for the form renderer below.
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "django_rich",
    "safespaces",
    "safespaces.crypto",
    "safespaces.audit",
    "safespaces.accounts",
    "safespaces.places",
    "safespaces.people",
    "safespaces.drafts",
    "safespaces.worker",
    "safespaces.notifications",
    "allies",
    "incidents",
    "riskassessment",
    "checkins",
]

MIDDLEWARE = [
    # Outermost: times every request and logs its line under a request id
    # (safespaces.observability).
    "safespaces.observability.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "safespaces.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    # Outside everything that reads the database (the key check, sessions, sign-in checks, the
    # view): a request that failed on it gets the outage page, with the headers above.
    "safespaces.outage.DatabaseOutageMiddleware",
    # Before anything reads data: with keys that do not open it, a 503 that says so.
    "safespaces.crypto.middleware.KeyCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "safespaces.accounts.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "safespaces.accounts.middleware.UserLanguageMiddleware",
    "safespaces.accounts.middleware.LoginRequiredMiddleware",
    "safespaces.accounts.middleware.SecondFactorMiddleware",
    # Inside the sign-in checks, around the view and its template: records what a page shows.
    "safespaces.audit.middleware.ResponseAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes last: it turns a lockout raised during authentication into the cool-off page.
    "axes.middleware.AxesMiddleware",
    # Around the view alone: tells the outage page whether the view had saved before it failed.
    "safespaces.outage.ViewReturnedMiddleware",
]

# Forms render through the templates above, so templates/django/forms/field.html, the one
# template for a field (label, error, input, help), replaces Django's for `field.as_field_group`.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "safespaces.urls"
WSGI_APPLICATION = "safespaces.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_FILES / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "safespaces.context_processors.app",
                "safespaces.notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Unset, development uses db.sqlite3 in the project folder; production refuses to start.
DATABASES = {
    "default": config.database(
        "DATABASE_URL",
        debug=DEBUG,
        development_file=(Path.cwd() if INSTALLED else BASE_DIR) / "db.sqlite3",
    )
}
# Every request runs in one transaction, so an audit event and the action it records commit or
# fail together.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at the
            # start of a transaction, so a writer never fails halfway on a lock another holds, and
            # the audit sealer can seal in the writer's own transaction (audit_seal).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
# A database that does not answer must not hold a web worker until gunicorn kills it (30 s):
# the attempt to connect gives up after DATABASE_CONNECT_TIMEOUT seconds, everywhere. Web requests
# also give up a statement after DATABASE_STATEMENT_TIMEOUT (safespaces.database, applied by
# wsgi.py only: migrations, the worker, backups and key rotation may rightly take longer). Either
# way the person sees the outage page, which says nothing was saved.
DATABASE_STATEMENT_TIMEOUT = config.postgres_duration("DATABASE_STATEMENT_TIMEOUT", default="20s")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", config.integer("DATABASE_CONNECT_TIMEOUT", default=5, minimum=1)
    )
    # No just-in-time compilation: the app's queries are short, and Postgres compiles those with
    # many subqueries (the register's due rules) for seconds before running them for a fraction
    # of that. Measured with 100,000 incidents and 2,000 situations: 6.5 s with, 0.27 s without.
    _options = DATABASES["default"]["OPTIONS"]
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
# Each app process keeps its connection for a minute instead of opening one per request (a new
# Postgres connection costs a few milliseconds and a backend process). Django checks a kept
# connection before each request and opens a new one if the database went away meanwhile, so an
# outage is still answered by the outage page and the next request after it works.
DATABASES["default"]["CONN_MAX_AGE"] = config.integer(
    "DATABASE_CONN_MAX_AGE", default=60, minimum=0
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Error reports hide keys and plaintext held by the crypto functions, with DEBUG on too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "safespaces.error_reports.AlwaysSafeExceptionReporterFilter"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks ------------------------------------------------------------------------
# Django's task framework (the django-tasks backport of django.tasks), queued in the database so it
# works on SQLite and Postgres alike and several workers can share one queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# `manage.py worker` runs them and beats a heartbeat; when no worker has beaten for two minutes,
# /healthz answers 503 and administrators see a banner. Off only where no worker is meant to run
# (the test suite); never in production, where alerts would stop without a word.
WORKER_HEALTH_CHECKS = config.boolean("WORKER_HEALTH_CHECKS", default=True)

# --- Accounts and authentication -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed logins: five tries per username at one address, then a 15-minute cool-off. Never a
# permanent lock, and never on the username alone, which an abuser could use to shut an advocate
# out of her own account.
AXES_FAILURE_LIMIT = config.integer("AXES_FAILURE_LIMIT", default=5, minimum=1)
# Failures are counted in the database, which every app server shares (axes' default, named
# here so that it stays so): a count kept in one server's memory, as axes' cache handler with
# Django's default local-memory cache would, would let each server allow its own five tries.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A wrong try during the pause must not restart it: one try every 15 minutes would otherwise keep
# someone out for good.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_VERBOSE = False
PROXY_COUNT = config.integer("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "safespaces.accounts.client_address.client_address"
# Our audit trail records sign-ins without addresses; axes would keep every survivor's address and
# browser forever in a log of its own.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
# Axes keeps the submitted form with each failure; it masks only "password". Pages that confirm
# the password count failures too, and their other fields (the new password, a code) must never
# be stored.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
    "code",
    "csrfmiddlewaretoken",
]

OTP_TOTP_THROTTLE_FACTOR = 1
# django-otp doubles the wait after each wrong second-factor code (1, 2, 4 ... seconds) up to a
# hundred years: someone who has the password could get the right code refused for days. The
# wait stops growing at 15 minutes, for authenticator and backup codes alike (AccountsConfig).
SECOND_FACTOR_MAX_WAIT = timedelta(minutes=15)

# --- Sessions and cookies --------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
# A new sign-in beyond this many open sessions ends the user's oldest one, so sessions forgotten
# on borrowed phones and shared computers do not pile up.
SESSIONS_PER_USER = config.integer("SESSIONS_PER_USER", default=5, minimum=1)
SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
# Production serves over HTTPS only: Secure cookies with the __Host- prefix (bound to this exact
# host, no Domain attribute, path /). Local development over plain HTTP cannot set them.
SECURE_COOKIES = config.boolean("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_NAME = "__Host-session" if SECURE_COOKIES else "session"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE_COOKIES else "csrftoken"
LANGUAGE_COOKIE_SAMESITE = "Strict"
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
# The language chosen on the sign-in page outlasts the browser's session: a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- Security headers ------------------------------------------------------------------------
SECURE_SSL_REDIRECT = config.boolean("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 0 if DEBUG else config.integer("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = config.boolean("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# No other site ever learns which page someone came from. "no-referrer" would go further, but then
# browsers send "Origin: null" with every form and Django's CSRF check rejects them all.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if config.boolean("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
    }
}

# The name in page titles and the header. A plain name draws less attention on a shared screen.
SITE_TITLE = env.str("SITE_TITLE", default="SafeSpaces")
# The name that gives nothing away. Pages someone who is not signed in can reach (the sign-in
# page, and what Back shows after a quick exit) always use it; in neutral mode everything does.
# Unset, "Notes" in the reader's language; an organization's own choice is shown as written.
NEUTRAL_TITLE = env.str("NEUTRAL_TITLE", default="") or _("Notes")
# Neutral mode: every tab title is NEUTRAL_TITLE alone, the icon is a plain notes icon, and
# emails, relay alerts and authenticator apps name NEUTRAL_TITLE, never the app
# (safespaces.branding). For the whole server, not per person: the sign-in page and a lock
# screen are seen before anyone is known, and a per-person choice would need a cookie that
# itself tells (docs/operations.md).
NEUTRAL_MODE = config.boolean("NEUTRAL_MODE", default=False)
# The name authenticator apps list the codes under, which anyone holding the phone can read.
OTP_TOTP_ISSUER = env.str("OTP_ISSUER", default="") or (
    (env.str("NEUTRAL_TITLE", default="") or "Notes") if NEUTRAL_MODE else SITE_TITLE
)

# The address the app is reached at, for links in messages that leave it (email, alert relay):
# "https://safespaces.example.org". Unset: https:// and the first of ALLOWED_HOSTS.
SITE_URL = env.str("SITE_URL", default="").rstrip("/") or (
    f"{'http' if DEBUG else 'https'}://{ALLOWED_HOSTS[0] if ALLOWED_HOSTS else 'localhost'}"
)

# --- Notifications leaving the app (in the app they always work) ------------------------------
# Email over SMTP: one URL, e.g. smtp+tls://user:password@mail.example.org:587. Unset: no email.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    try:
        globals().update(env.email_url("EMAIL_URL"))
    except ImproperlyConfigured:
        config.problems.append(
            "EMAIL_URL is not the address of a mail server. "
            "Use smtp+tls://user:password@mail.example.org:587, or leave it empty for no email."
        )
EMAIL_TIMEOUT = 20
# The sender's address; its name is always SITE_TITLE, so a lock screen shows nothing telling.
EMAIL_FROM = env.str("EMAIL_FROM", default="")
# An HTTP POST of a small signed JSON to a relay (ntfy, signal-cli-rest-api, Matrix): see
# docs/operations.md. Unset: no relay.
WEBHOOK_URL = env.str("WEBHOOK_URL", default="")
WEBHOOK_SECRET = env.str("WEBHOOK_SECRET", default="")
if WEBHOOK_URL and len(WEBHOOK_SECRET) < 32:
    config.problems.append(
        "WEBHOOK_URL is set, so WEBHOOK_SECRET must be 32 or more random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
    )

# Quick exit replaces the page with this neutral site. Pick one that is ordinary where you work.
QUICK_EXIT_URL = env.str("QUICK_EXIT_URL", default="https://www.bbc.com/weather")

# An ally asked for help more often than this in 90 days is flagged "asked often", so requests
# are spread across the network before allies grow weary.
ALLY_ASKED_OFTEN_AFTER = config.integer("ALLY_ASKED_OFTEN_AFTER", default=3, minimum=1)

# --- Uploads ---------------------------------------------------------------------------------
# Uploads stay in memory up to this size and never touch disk as plaintext temp files. A larger
# file is refused with a message rather than dropped in silence (see safespaces.uploads).
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["safespaces.uploads.CappedMemoryUploadHandler"]
# Whatever a storage writes is the app's user's alone, as everything it creates is (the umask set
# in safespaces.apps); the attachments storage says the same in its own options.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Language, time, static files ------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGE_NAMES = {
    "en": _("English"),
    "es": _("Spanish"),
    "fr": _("French"),
    "ar": _("Arabic"),
    "pt": _("Portuguese"),
    "tl": _("Filipino"),
    "th": _("Thai"),
}
# Every language with a complete catalogue (tests/test_catalogues.py sees to it); an organization
# may offer fewer. Pages take their direction from the language.
LANGUAGES = [
    (code, LANGUAGE_NAMES.get(code, code))
    for code in env.list("LANGUAGES", default=list(LANGUAGE_NAMES))
]
# Our catalogues first; then Django's own strings that our pages show, where Django's catalogue
# lacks them (it has no Filipino at all). A folder makemessages never writes to
# (docs/translation.md).
LOCALE_PATHS = [PROJECT_FILES / "locale", PROJECT_FILES / "locale" / "django"]
# Date and number formats for the languages Django has none for (Filipino).
FORMAT_MODULE_PATH = ["safespaces.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# What collectstatic writes and the app serves. Installed, the collected files belong to the
# installed release, so they default to a folder of its virtual environment: a new environment
# per release collects its own, and going back to the previous one finds its files as they were.
STATIC_ROOT = Path(
    env.str("STATIC_ROOT", default="")
    or (Path(sys.prefix) / "staticfiles" if INSTALLED else BASE_DIR / "staticfiles")
)
STATICFILES_DIRS = [PROJECT_FILES / "static"]
# Attachments go to a bucket of S3-compatible object storage when ATTACHMENTS_S3_BUCKET is set
# (several app servers share it), else to the folder ATTACHMENTS_DIR. One or the other: a server
# configured with both would leave it to chance where evidence is kept.
ATTACHMENTS_BUCKET = config.object_storage("ATTACHMENTS_S3_")
# env.str, not env.path: an empty ATTACHMENTS_DIR= must mean the default, not the cwd. Installed
# there is no default: attachments are data, and must outlive the environment of one release.
_attachments_folder = env.str("ATTACHMENTS_DIR", default="")
ATTACHMENTS_DIR = Path(_attachments_folder or BASE_DIR / "attachments")
if ATTACHMENTS_BUCKET and _attachments_folder:
    config.problems.append(
        "ATTACHMENTS_DIR and ATTACHMENTS_S3_BUCKET are both set. Set ATTACHMENTS_S3_BUCKET for "
        "object storage or ATTACHMENTS_DIR for a folder, and leave the other empty."
    )
elif INSTALLED and not ATTACHMENTS_BUCKET and not _attachments_folder:
    config.problems.append(
        "ATTACHMENTS_DIR is not set. Set it to a folder for the encrypted attachments that "
        "outlives upgrades, such as /var/lib/safespaces/attachments, or set "
        "ATTACHMENTS_S3_BUCKET for object storage."
    )
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed copies made by collectstatic; development serves the
    # source folders as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Incident attachments, encrypted by the app before they are written (incidents.attachments):
    # only ciphertext under random names lands here. Never served by URL, only by the authorised
    # download view. On a local disk each file is owner-only from its first byte, and a write
    # that fails (a full disk) leaves no partial file (safespaces.files); in a bucket each
    # object is written whole or not at all, once, under the bucket's private ACL
    # (safespaces.objectstorage).
    "attachments": {
        "BACKEND": "safespaces.objectstorage.PrivateS3Storage",
        "OPTIONS": ATTACHMENTS_BUCKET,
    }
    if ATTACHMENTS_BUCKET
    else {
        "BACKEND": "safespaces.files.PrivateFileSystemStorage",
        "OPTIONS": {
            "location": ATTACHMENTS_DIR,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Logging: never field values, free text, paths, queries or request bodies ------------------
# One line per request (method, route name, status, duration, user id) under a random request id
# that every line of the request carries (safespaces.observability). LOG_FORMAT=json prints one
# JSON object a line for a log collector; plain text is for development and journald.
LOG_FORMAT = config.choice("LOG_FORMAT", ("text", "json"), default="text")
LOG_LEVEL = config.log_level("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "safespaces.observability.logs.RequestContextFilter"}},
    "formatters": {
        "text": {"()": "safespaces.observability.logs.TextFormatter"},
        "json": {"()": "safespaces.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request"],
            "level": LOG_LEVEL,
        },
        # Each unhandled exception, by email to administrators (safespaces.observability.errors).
        "administrators": {
            "class": "safespaces.observability.errors.AdministratorsHandler",
            "level": "ERROR",
            "filters": ["request"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's own set-up, whose handlers print with DEBUG on only and mail ADMINS.
        # Django's request records name the path: the filter puts the route in its place.
        # Errors reach the administrators' handler whatever LOG_LEVEL prints.
        "django": {
            "handlers": ["console", "administrators"],
            "level": "ERROR" if LOG_LEVEL == "CRITICAL" else LOG_LEVEL,
            "propagate": False,
        },
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # runserver's own lines print the path and the query string (a search); the request line
        # above says the same without them.
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        # With DEBUG on, Django logs each query with its parameters at DEBUG: never printed.
        "django.db.backends": {"level": "INFO"},
        # At DEBUG these print the address of each request made (the relay's, the error server's).
        "urllib3": {"level": "WARNING"},
        # The object storage client at DEBUG prints each request it signs: its Authorization
        # header (the access key) and session token, the bucket, the object's name and its body.
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        "s3transfer": {"level": "WARNING"},
        "sentry_sdk": {"level": "WARNING"},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Error reports to a Sentry-compatible server (optional) ---------------------------------
# A self-hosted Sentry or GlitchTip: `pip install 'safespaces[sentry]'`, then the project's DSN.
# Reports hold exception classes, files, lines and functions, the route and the request id only
# (safespaces.observability.sentry). Unset: nothing is sent anywhere.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
if SENTRY_DSN:
    from safespaces.observability.sentry import sentry_init, sentry_problem

    _sentry_problem = sentry_problem()
    if _sentry_problem:
        config.problems.append(_sentry_problem)
    else:
        sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

# Every problem found above, at once, each naming its variable and how to put it right.
if config.problems:
    raise ImproperlyConfigured("SafeSpaces cannot start:\n- " + "\n- ".join(config.problems))
