"""Work on threads of their own, each with its own database connection, as app servers have."""

import threading
from collections.abc import Callable

from django.db import connection


def in_thread(work: Callable[[], None]) -> threading.Thread:
    """Start `work` on a new thread; the thread closes its own connection when done."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()  # each thread has a connection of its own

    thread = threading.Thread(target=run)
    thread.start()
    return thread
