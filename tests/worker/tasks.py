"""Tasks for the worker's tests, importable by path as every queued task must be."""

from pathlib import Path

from django_tasks import task

RUNS: list[str] = []


@task()
def count_a_run() -> None:
    RUNS.append("ran")


@task()
def fail() -> None:
    RUNS.append("failed")
    raise RuntimeError("this task always fails")


@task()
def append_line(path: str, line: str) -> str:
    """Leave a trace a test can read from another process."""
    with Path(path).open("a") as file:
        file.write(line + "\n")
    return line
