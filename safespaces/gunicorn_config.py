"""gunicorn's settings for `safespaces serve` (`--config python:safespaces.gunicorn_config`).

gunicorn's access log would print each request's address with its query string and the
client's IP address: a set-up link's code, a search's words, where a survivor connects from. It
stays off, even when `--access-logfile` is given: the app logs one line per request itself, with
the route's name instead of the path (safespaces.observability). gunicorn's own lines about a
request it could not handle lose the request line, the address and the exception's text too.

Each worker also hides what it loaded at start from the garbage collector (`post_worker_init`).
"""

import gc
import sys
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from safespaces.observability.logs import exception_name, safe_traceback

accesslog = None
# No control socket (gunicorn 25.1 and later make one for `gunicornc`, in $HOME/.gunicorn): the
# service's home is read-only (ProtectSystem=strict), and nothing here uses it. Older gunicorn
# ignores a setting it does not know.
control_socket_disable = True


class Logger(GunicornLogger):
    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Never: see the module's docstring."""

    def exception(self, msg: object, *args: object, **kwargs: object) -> None:
        # "Error handling request %s %s": the arguments are the method and the full address.
        said = str(msg).split(" %s", 1)[0]
        error = sys.exc_info()[1]
        if error is None:
            self.error_log.error(said)
            return
        self.error_log.error("%s: %s\n%s", said, exception_name(error), safe_traceback(error))

    def warning(self, msg: object, *args: object, **kwargs: object) -> None:
        if isinstance(msg, str) and msg.startswith("Invalid request from ip="):
            # The rest quotes the request line or a header, and the client's address.
            msg, args = "Invalid request (its line and headers are not logged)", ()
        super().warning(msg, *args, **kwargs)


logger_class = Logger


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded the app, before its first request: collect, then move every
    object left (Django, the settings, the URL patterns and views, about 97,000 objects) out of
    the collector's sight for good (`gc.freeze`). They live as long as the worker anyway, and
    every full collection walked all of them: 50-70 ms, about one request in six on the pages
    that make many objects (patterns, trends) at 100,000 incidents. Frozen, such a collection
    takes 2-4 ms."""
    gc.collect()
    gc.freeze()
