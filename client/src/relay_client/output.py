"""How the command line prints: tables for people, JSON for scripts, progress on terminals."""

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

Column = tuple[str, Callable[[dict[str, Any]], Any]]


class Output:
    def __init__(self, *, as_json: bool = False) -> None:
        self.as_json = as_json
        # Piped output is not cut at 80 columns; scripts should still prefer --json.
        self.out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
        self.err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)

    @property
    def live(self) -> bool:
        """Progress bars are drawn only on a terminal."""
        return self.err.is_terminal

    def json(self, data: Any) -> None:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def listing(self, rows: Sequence[Any], columns: Sequence[Column]) -> None:
        """A list as JSON or as a table."""
        if self.as_json:
            self.json(rows)
        else:
            self.table(rows, columns)

    def table(
        self, rows: Sequence[dict[str, Any]], columns: Sequence[Column], *, title: str = ""
    ) -> None:
        table = Table(title=title or None, title_justify="left", box=None, pad_edge=False)
        for heading, _ in columns:
            table.add_column(heading, overflow="fold")
        for row in rows:
            table.add_row(*(cell(value(row)) for _, value in columns))
        self._print(table)

    def _print(self, renderable: Any) -> None:
        if self.out.is_terminal:
            self.out.print(renderable)
            return
        with self.out.capture() as captured:
            self.out.print(renderable)
        click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))

    def fields(self, pairs: Sequence[tuple[str, Any]]) -> None:
        """A record as `name  value` lines."""
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for name, value in pairs:
            table.add_row(name, cell(value))
        self._print(table)

    def note(self, message: str) -> None:
        """A line for people, on stderr so that stdout stays clean for pipes."""
        self.err.print(message, markup=False, soft_wrap=True)

    def problem(self, message: str) -> None:
        self.err.print(message, style="red", markup=False, soft_wrap=True)

    @contextmanager
    def progress(self) -> Iterator["Bars"]:
        """One live display on stderr for a command's progress bars; bars are added to it as
        the command reaches each stage. Nothing is drawn unless stderr is a terminal."""
        if not self.live:
            yield Bars(None)
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            _DetailColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.err, transient=False) as progress:
            yield Bars(progress)


class _DetailColumn(ProgressColumn):
    """`12/200 files  45.1/120.0 MB  8.2 MB/s` for a transfer, `5/9` for a count."""

    def render(self, task: Task) -> Text:
        total = task.total
        if task.fields.get("unit") == "bytes":
            size = f"{human_bytes(task.completed)}/{human_bytes(total) if total else '?'}"
            speed = f"{human_bytes(task.speed)}/s" if task.speed else ""
            return Text(f"{task.fields.get('files', '')}  {size}  {speed}".strip())
        return Text(f"{int(task.completed)}/{int(total) if total is not None else '?'}")


class Bars:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    def add(self, description: str, *, unit: str = "count", total: float | None = None) -> "Bar":
        if self.progress is None:
            return Bar(None, None)
        task = self.progress.add_task(description, total=total, unit=unit, files="")
        return Bar(self.progress, task)


class Bar:
    """A progress bar that does nothing when there is no terminal."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self.progress = progress
        self.task = task

    def update(self, **changes: Any) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, **changes)

    def advance(self, amount: float) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, amount)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}={cell(item)}" for key, item in value.items())
    return str(value)


def human_bytes(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def short_time(timestamp: str | None) -> str | None:
    """`2024-01-15T10:30:00.123Z` → `2024-01-15 10:30`."""
    if not timestamp:
        return None
    return timestamp.replace("T", " ")[:16]
