"""The `relay` command line. Each command calls one `Client` method and prints its result: a
table by default, JSON with `--json`. Progress bars are drawn on stderr when it is a terminal.

Exit codes: 0 done; 1 an error (the API's message on stderr) or a file that failed; 2 a usage
error; 3 `relay detect` found more than `--fail-on` allows; 130 interrupted.
"""

import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import httpx

from relay_client import __version__, config
from relay_client.client import LABEL_FORMATS, Client, detection_format_for, label_format_for
from relay_client.errors import ApiError, RelayError
from relay_client.files import parse_key_values, read_sidecar
from relay_client.output import Bar, Bars, Column, Output, human_bytes, short_time
from relay_client.rules import parse_rule
from relay_client.uploads import FileResult, UploadReport

EXIT_ERROR = 1
EXIT_FAIL_ON = 3
EXIT_INTERRUPTED = 130


class RelayGroup(click.Group):
    """Turns the client's errors into messages and exit codes, for every command below it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApiError as error:
            lines = error.lines()
            _stderr(f"error: {lines[0]}")
            for line in lines[1:]:
                _stderr(f"  {line}")
            ctx.exit(EXIT_ERROR)
        except RelayError as error:
            _stderr(f"error: {error}")
            ctx.exit(EXIT_ERROR)
        except httpx.TransportError as error:
            url = ctx.obj.get("url") if isinstance(ctx.obj, dict) else None
            where = f" {url}" if url else ""
            _stderr(f"error: cannot reach the server{where}: {error or type(error).__name__}")
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            _stderr("interrupted; run the same command again to resume")
            ctx.exit(EXIT_INTERRUPTED)


def _stderr(message: str) -> None:
    click.echo(message, err=True)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --json and hands the command an `output` that prints JSON or tables."""

    @functools.wraps(command)
    def with_output(*args: Any, as_json: bool, **kwargs: Any) -> Any:
        return command(*args, output=Output(as_json=as_json), **kwargs)

    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of a table."
    )(with_output)


def client_of(ctx: click.Context) -> Client:
    state = ctx.ensure_object(dict)
    if "client" not in state:
        state["client"] = Client(
            state.get("url"), state.get("api_key"), transport=state.get("transport")
        )
        ctx.call_on_close(state["client"].close)
    return state["client"]


@click.group(cls=RelayGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    metavar="URL",
    help="The Relay server, e.g. https://relay.example.com (default: RELAY_URL, then the "
    "config file, then http://127.0.0.1:8000).",
)
@click.option(
    "--api-key",
    metavar="KEY",
    help="The API key (default: RELAY_API_KEY, then the config file `relay login` wrote).",
)
@click.version_option(__version__, prog_name="relay")
@click.pass_context
def main(ctx: click.Context, url: str | None, api_key: str | None) -> None:
    """Relay from the command line: upload audio, import labels, train a detector, and run it
    over new audio in CI.

    \b
    Configure with RELAY_URL and RELAY_API_KEY, or run `relay login` once.
    Datasets, annotation sets and models can be named by id or by name.
    Add --json to any listing or result for machine-readable output.

    \b
    A typical session:
      relay datasets create "TTS glitches" --type click --type long_pause
      relay upload "TTS glitches" takes/ --metadata tts_model=v3 --wait
      relay sets create "TTS glitches" reviewed
      relay labels import "TTS glitches" reviewed labels.csv
      relay sets publish "TTS glitches" reviewed
      relay train "TTS glitches" reviewed --epochs 20 --wait
      relay detect MODEL nightly/ --out detections.csv --fail-on click=0

    \b
    Exit codes: 0 done; 1 an error, or a file that failed to upload or process;
    2 a usage error; 3 detections over --fail-on; 130 interrupted.
    """
    state = ctx.ensure_object(dict)
    state.setdefault("url", url)
    state.setdefault("api_key", api_key)


# login ----------------------------------------------------------------------------------------


@main.command()
@click.option("--url", "login_url", metavar="URL", help="The Relay server (asked when left out).")
@click.option("--api-key", "login_key", metavar="KEY", help="The API key (asked when left out).")
@click.option("--no-check", is_flag=True, help="Save without checking the key against the server.")
@click.pass_context
def login(ctx: click.Context, login_url: str | None, login_key: str | None, no_check: bool) -> None:
    """Save the server URL and an API key to the config file (mode 0600).

    The file is $RELAY_CONFIG, else $XDG_CONFIG_HOME/relay/config.json, else
    ~/.config/relay/config.json. RELAY_URL and RELAY_API_KEY, when set, still win over it.
    """
    state = ctx.ensure_object(dict)
    stored = config.read_config()
    url = (
        login_url
        or state.get("url")
        or click.prompt("Relay URL", default=stored.get("url") or config.DEFAULT_URL)
    )
    api_key = login_key or state.get("api_key") or click.prompt("API key", hide_input=True)
    url = config.normalize_url(url)
    if not no_check:
        with Client(url, api_key, transport=state.get("transport")) as client:
            client.check_key()
    path = config.write_config(url, api_key)
    _stderr(f"saved {url} and the key to {path}")


# datasets -------------------------------------------------------------------------------------


@main.group(cls=RelayGroup)
def datasets() -> None:
    """Create, list and show datasets."""


DATASET_COLUMNS: list[Column] = [
    ("id", lambda d: d["id"]),
    ("name", lambda d: d["name"]),
    ("types", lambda d: [t["name"] for t in d["artifact_types"]]),
    ("audio", lambda d: d["audio_count"]),
    ("hours", lambda d: round(d["total_duration_ms"] / 3_600_000, 2)),
    ("created", lambda d: short_time(d["created_at"])),
]


@datasets.command("create")
@click.argument("name")
@click.option(
    "--type",
    "types",
    multiple=True,
    required=True,
    metavar="TYPE",
    help="An artifact type to label and detect (letters, digits, _ and -); repeat for several.",
)
@click.option("--description", help="What the dataset is for.")
@json_option
@click.pass_context
def datasets_create(
    ctx: click.Context, name: str, types: Sequence[str], description: str | None, output: Output
) -> None:
    """Create a dataset NAME with its artifact types."""
    dataset = client_of(ctx).create_dataset(name, list(types), description=description)
    _show_dataset(output, dataset)


@datasets.command("list")
@click.option("--search", metavar="TEXT", help="Only datasets whose name contains TEXT.")
@json_option
@click.pass_context
def datasets_list(ctx: click.Context, search: str | None, output: Output) -> None:
    """List the datasets of your tenant, newest first."""
    items = client_of(ctx).list_datasets(search=search)
    output.listing(items, DATASET_COLUMNS)


@datasets.command("show")
@click.argument("dataset")
@json_option
@click.pass_context
def datasets_show(ctx: click.Context, dataset: str, output: Output) -> None:
    """Show a DATASET (id or name): its types and its audio by processing status."""
    client = client_of(ctx)
    found = client.dataset(dataset)
    counts = client.audio_counts(found["id"])
    _show_dataset(output, {**found, "audio_by_status": counts})


def _show_dataset(output: Output, dataset: Any) -> None:
    if output.as_json:
        output.json(dataset)
        return
    pairs = [
        ("id", dataset["id"]),
        ("name", dataset["name"]),
        ("description", dataset.get("description") or None),
        ("ready audio", dataset["audio_count"]),
        ("ready hours", round(dataset["total_duration_ms"] / 3_600_000, 3)),
    ]
    if "audio_by_status" in dataset:
        pairs.append(("audio by status", dataset["audio_by_status"]))
    pairs.append(("created", short_time(dataset["created_at"])))
    output.fields(pairs)
    output.table(
        dataset["artifact_types"],
        [
            ("type", lambda t: t["name"]),
            ("colour", lambda t: t.get("color")),
            ("description", lambda t: t.get("description") or None),
        ],
    )


# upload ---------------------------------------------------------------------------------------


def _metadata_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--metadata-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Per-file metadata: a CSV with a filename column and one column per key, or JSON "
        "{filename: {key: value}}. Merged over --metadata.",
    )(command)
    return click.option(
        "--metadata",
        "metadata_pairs",
        multiple=True,
        metavar="KEY=VALUE",
        help="Metadata for every file (e.g. tts_model=v3); repeat for several keys.",
    )(command)


def _transfer_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--retries",
        default=3,
        show_default=True,
        type=click.IntRange(0, 20),
        help="Further tries for a file whose upload fails for a passing reason.",
    )(command)
    return click.option(
        "--parallel",
        default=4,
        show_default=True,
        type=click.IntRange(1, 64),
        help="Files uploaded at once.",
    )(command)


@main.command()
@click.argument("dataset")
@click.argument("paths", nargs=-1, required=True)
@_metadata_options
@_transfer_options
@click.option(
    "--resume-by",
    type=click.Choice(["name-size", "checksum", "none"]),
    default="name-size",
    show_default=True,
    help="How a file already in the dataset is recognised and skipped: by filename and size, "
    "by SHA-256 (also under another name), or not at all.",
)
@click.option("--wait", is_flag=True, help="Wait until every file is processed (ready or failed).")
@json_option
@click.pass_context
def upload(
    ctx: click.Context,
    dataset: str,
    paths: Sequence[str],
    metadata_pairs: Sequence[str],
    metadata_file: Path | None,
    parallel: int,
    retries: int,
    resume_by: str,
    wait: bool,
    output: Output,
) -> None:
    """Upload audio files to DATASET (id or name).

    PATHS are files, folders (searched recursively for wav, flac, mp3, ogg, opus, m4a, aac and
    webm) and globs ('takes/**/*.wav'). A file in a folder is named by its path below that
    folder; other files by their basename.

    Uploads run in parallel and each failing file is tried again; a failure prints one line and
    the rest go on. Interrupted? Run the same command again: files already there are skipped,
    half-finished ones are completed, and every file ends up in the dataset once.
    """
    metadata = parse_key_values(metadata_pairs, option="--metadata")
    sidecar = read_sidecar(metadata_file) if metadata_file else {}
    with output.progress() as bars:
        progress = _UploadProgress(output, bars)
        report = client_of(ctx).upload(
            dataset,
            list(paths),
            metadata=metadata,
            sidecar=sidecar,
            parallel=parallel,
            retries=retries,
            resume_by=resume_by,
            wait=wait,
            on_start=progress.start,
            on_bytes=progress.on_bytes,
            on_file=progress.on_file,
            on_wait=progress.on_wait,
        )
    _report_upload(output, report, waited=wait)


class _UploadProgress:
    """One bar for the batch (bytes and files), a line per failure above it, and a bar for
    processing once the uploads are done."""

    def __init__(self, output: Output, bars: Bars) -> None:
        self.output = output
        self.bars = bars
        self.bar: Bar | None = None
        self.processing: Bar | None = None
        self.total_files = 0
        self.done_files = 0

    def start(self, files: int, total_bytes: int) -> None:
        self.total_files = files
        self.bar = self.bars.add("Uploading", unit="bytes", total=total_bytes)
        self.bar.update(files=f"0/{files} files")

    def on_bytes(self, n: int) -> None:
        if self.bar is not None:
            self.bar.advance(n)

    def on_file(self, result: FileResult) -> None:
        self.done_files += 1
        if self.bar is not None:
            self.bar.update(files=f"{self.done_files}/{self.total_files} files")
        if result.outcome == "failed":
            self.output.problem(f"failed {result.local.path}: {result.error}")

    def on_wait(self, counts: dict[str, int]) -> None:
        if self.processing is None:
            self.processing = self.bars.add("Processing", total=sum(counts.values()))
        self.processing.update(completed=counts["ready"] + counts["failed"])


def _report_upload(output: Output, report: UploadReport, *, waited: bool) -> None:
    processing_failed = [
        r for r in report.results if r.resource and r.resource.get("processing_status") == "failed"
    ]
    if output.as_json:
        data = report.as_dict()
        if waited:
            for entry, result in zip(data["files"], report.results, strict=True):
                resource = result.resource or {}
                entry["processing_status"] = resource.get("processing_status")
                entry["processing_error"] = resource.get("processing_error")
        output.json(data)
    else:
        speed = report.bytes_sent / report.seconds if report.seconds else 0.0
        output.note(
            f"uploaded {len(report.by_outcome('uploaded'))}, "
            f"resumed {len(report.by_outcome('resumed'))}, "
            f"skipped {len(report.by_outcome('skipped'))} already there, "
            f"failed {len(report.failed)}; {human_bytes(report.bytes_sent)} in "
            f"{report.seconds:.1f} s ({human_bytes(speed)}/s)"
        )
        if waited:
            ready = sum(
                1
                for r in report.results
                if r.resource and r.resource.get("processing_status") == "ready"
            )
            output.note(f"processed: {ready} ready, {len(processing_failed)} failed")
            for result in processing_failed:
                error = (result.resource or {}).get("processing_error")
                output.problem(f"processing failed {result.local.path}: {error}")
    if report.failed or processing_failed:
        sys.exit(EXIT_ERROR)


# annotation sets and labels -------------------------------------------------------------------


@main.group(cls=RelayGroup)
def sets() -> None:
    """Create, list, publish and copy annotation sets."""


SET_COLUMNS: list[Column] = [
    ("id", lambda s: s["id"]),
    ("name", lambda s: s["name"]),
    ("status", lambda s: s["status"]),
    ("annotations", lambda s: s["annotation_count"]),
    ("by type", lambda s: s["counts_by_type"]),
    ("updated", lambda s: short_time(s["updated_at"])),
]


def _print_set(output: Output, annotation_set: Any) -> None:
    if output.as_json:
        output.json(annotation_set)
    else:
        output.table([annotation_set], SET_COLUMNS)


@sets.command("list")
@click.argument("dataset")
@json_option
@click.pass_context
def sets_list(ctx: click.Context, dataset: str, output: Output) -> None:
    """List the annotation sets of DATASET."""
    items = client_of(ctx).list_sets(dataset)
    output.listing(items, SET_COLUMNS)


@sets.command("create")
@click.argument("dataset")
@click.argument("name", required=False)
@click.option("--description", help="What the set holds, who labelled it.")
@json_option
@click.pass_context
def sets_create(
    ctx: click.Context, dataset: str, name: str | None, description: str | None, output: Output
) -> None:
    """Create an empty draft set NAME in DATASET (the server names it when NAME is left out)."""
    _print_set(output, client_of(ctx).create_set(dataset, name, description=description))


@sets.command("publish")
@click.argument("dataset")
@click.argument("set_ref", metavar="SET")
@json_option
@click.pass_context
def sets_publish(ctx: click.Context, dataset: str, set_ref: str, output: Output) -> None:
    """Publish SET of DATASET: it becomes immutable and can be trained on."""
    _print_set(output, client_of(ctx).publish_set(dataset, set_ref))


@sets.command("copy")
@click.argument("dataset")
@click.argument("set_ref", metavar="SET")
@json_option
@click.pass_context
def sets_copy(ctx: click.Context, dataset: str, set_ref: str, output: Output) -> None:
    """Copy SET of DATASET into a new draft (how a published set is revised)."""
    _print_set(output, client_of(ctx).copy_set(dataset, set_ref))


@main.group(cls=RelayGroup)
def labels() -> None:
    """Import and export the annotations of a set (json, csv, dcase, audacity, raven)."""


FORMAT_HELP = (
    "json, csv, dcase (TSV: filename, onset, offset, event_label), audacity (a zip of label "
    "tracks, or one .txt) or raven (a selection table). Default: from the file's extension."
)


@labels.command("import")
@click.argument("dataset")
@click.argument("set_ref", metavar="SET")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "label_format", type=click.Choice(LABEL_FORMATS), help=FORMAT_HELP)
@click.option("--dry-run", is_flag=True, help="Check every row and report errors; write nothing.")
@json_option
@click.pass_context
def labels_import(
    ctx: click.Context,
    dataset: str,
    set_ref: str,
    file: Path,
    label_format: str | None,
    dry_run: bool,
    output: Output,
) -> None:
    """Import FILE into the draft SET of DATASET: every row, or none.

    Rows name audio by filename (or audio_file_id). A failing import lists every bad row with
    its line; --dry-run does the same without writing.
    """
    result: Any = client_of(ctx).import_labels(
        dataset, set_ref, file, format=label_format, dry_run=dry_run
    )
    if output.as_json:
        output.json(result)
    elif dry_run:
        verdict = "valid" if result["valid"] else "invalid"
        output.note(
            f"dry run: {verdict}, {result['rows']} rows, would create {result['would_create']}"
        )
        for error in result["errors"]:
            where = f"{error['file']}: " if error.get("file") else ""
            output.problem(f"  {where}line {error['line']}: {error['field']}: {error['message']}")
    else:
        output.note(f"imported {result['created']} annotations from {file.name}")
    if dry_run and not result["valid"]:
        sys.exit(EXIT_ERROR)


@labels.command("export")
@click.argument("dataset")
@click.argument("set_ref", metavar="SET")
@click.option("--format", "label_format", type=click.Choice(LABEL_FORMATS), help=FORMAT_HELP)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: standard output).",
)
@click.pass_context
def labels_export(
    ctx: click.Context, dataset: str, set_ref: str, label_format: str | None, out: Path | None
) -> None:
    """Export the annotations of SET of DATASET."""
    chosen = label_format or (label_format_for(out) if out else "json")
    client = client_of(ctx)
    if out is None:
        client.export_labels(dataset, set_ref, format=chosen, out=sys.stdout.buffer)
        return
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("wb") as handle:
            written = client.export_labels(dataset, set_ref, format=chosen, out=handle)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    _stderr(f"wrote {out} ({human_bytes(written)}, {chosen})")


# training -------------------------------------------------------------------------------------


@main.command()
@click.argument("dataset")
@click.argument("set_ref", metavar="SET")
@click.option("--epochs", type=click.IntRange(1, 500), help="Passes over the data (default 20).")
@click.option(
    "--validation-split",
    type=click.FloatRange(0, 0.5),
    help="Share of files held out for validation, thresholds and metrics (default 0.2).",
)
@click.option("--learning-rate", type=click.FloatRange(0, 1, min_open=True), help="Default 0.001.")
@click.option("--batch-size", type=click.IntRange(1, 1024), help="Default 32.")
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="TYPE",
    help="Train on this type only; repeat for several (default: every type the set labels).",
)
@click.option(
    "--labelled-only",
    is_flag=True,
    help="Leave out the dataset's audio the set does not label (by default it trains as clean).",
)
@click.option("--wait", is_flag=True, help="Follow the job to its end, then print its metrics.")
@json_option
@click.pass_context
def train(
    ctx: click.Context,
    dataset: str,
    set_ref: str,
    epochs: int | None,
    validation_split: float | None,
    learning_rate: float | None,
    batch_size: int | None,
    types: Sequence[str],
    labelled_only: bool,
    wait: bool,
    output: Output,
) -> None:
    """Train a detector on the published SET of DATASET.

    With --wait, shows the epoch and the losses as it trains, then the validation metrics per
    type (event F1 with a 200 ms collar, false alarms per hour, the chosen threshold). Ctrl-C
    stops following, not the job: `relay jobs cancel ID` stops it.
    """
    client = client_of(ctx)
    follower = _TrainingFollower(output, None)
    with output.progress() as bars, _still_running(follower):
        follower.bar = bars.add("Training", total=100)
        job = client.train(
            dataset,
            set_ref,
            artifact_types=list(types) or None,
            epochs=epochs,
            validation_split=validation_split,
            learning_rate=learning_rate,
            batch_size=batch_size,
            include_unlabelled_audio=False if labelled_only else None,
            wait=wait,
            on_update=follower.update,
        )
    _print_training_job(output, job)
    if wait and job["status"] != "completed":
        sys.exit(EXIT_ERROR)


@contextmanager
def _still_running(follower: Any) -> Iterator[None]:
    """Ctrl-C while following a job stops the following, not the job: say so, and how to
    look at it or stop it."""
    try:
        yield
    except KeyboardInterrupt:
        if follower.job_id is None:
            raise
        _stderr(
            f"stopped following; job {follower.job_id} goes on: "
            f"`relay jobs show {follower.job_id}`, `relay jobs cancel {follower.job_id}`"
        )
        sys.exit(EXIT_INTERRUPTED)


class _TrainingFollower:
    def __init__(self, output: Output, bar: Any) -> None:
        self.output = output
        self.bar = bar
        self.epochs_seen = 0
        self.job_id: str | None = None

    def update(self, job: Any) -> None:
        self.job_id = job["id"]
        epochs = job["config"]["epochs"]
        history = (job.get("metrics") or {}).get("history") or []
        description = f"{job['status']}"
        if history:
            last = history[-1]
            description = f"epoch {last['epoch']}/{epochs} · {_losses(last)}"
        self.bar.update(total=100, completed=job["progress_percent"], description=description)
        if not self.output.live and not self.output.as_json:
            for entry in history[self.epochs_seen :]:
                self.output.note(f"epoch {entry['epoch']}/{epochs}: {_losses(entry)}")
        self.epochs_seen = len(history)


def _losses(entry: dict[str, Any]) -> str:
    text = f"train loss {entry['train_loss']:.4f}"
    if entry.get("validation_loss") is not None:
        text += f" · validation loss {entry['validation_loss']:.4f}"
    return text


def _print_training_job(output: Output, job: Any) -> None:
    if output.as_json:
        output.json(job)
        return
    output.fields(
        [
            ("job", job["id"]),
            ("status", job["status"]),
            ("progress", f"{job['progress_percent']} %"),
            ("audio files", job.get("audio_file_count")),
            ("model", job.get("model_id")),
            ("error", job.get("error_message")),
        ]
    )
    metrics = job.get("metrics") or {}
    if metrics.get("per_type"):
        print_metrics(output, metrics)
    elif job["status"] not in ("completed", "failed", "cancelled"):
        output.note(f"follow it with: relay jobs show {job['id']}")


def print_metrics(output: Output, metrics: dict[str, Any]) -> None:
    """The validation metrics of a training job or a model, one row per type and the macro
    averages."""
    rows = [{"type": name, **values} for name, values in metrics["per_type"].items()]
    macro = metrics.get("macro") or {}
    rows.append({"type": "macro", **macro, "threshold": None})
    output.table(
        rows,
        [
            ("type", lambda r: r["type"]),
            ("precision", lambda r: r.get("precision")),
            ("recall", lambda r: r.get("recall")),
            ("F1", lambda r: r.get("f1")),
            ("segment F1", lambda r: r.get("segment_f1")),
            ("false alarms/h", lambda r: r.get("false_alarms_per_hour")),
            ("threshold", lambda r: r.get("threshold")),
        ],
        title=f"Validation: {metrics.get('files', '?')} files, "
        f"{metrics.get('collar_ms', 200):g} ms collar",
    )


# detect ---------------------------------------------------------------------------------------


def _parse_threshold(values: Sequence[str]) -> float | dict[str, float] | None:
    if not values:
        return None
    per_type: dict[str, float] = {}
    overall = None
    for value in values:
        name, separator, number = value.rpartition("=")
        try:
            parsed = float(number)
        except ValueError:
            raise click.BadParameter(
                f"{value!r}: use a number in [0, 1] or TYPE=NUMBER", param_hint="--threshold"
            ) from None
        if separator:
            per_type[name] = parsed
        else:
            overall = parsed
    if overall is not None and per_type:
        raise click.BadParameter("give one number, or TYPE=NUMBER pairs", param_hint="--threshold")
    return per_type or overall


@main.command()
@click.argument("model")
@click.argument("paths", nargs=-1)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every detection here: .csv, .tsv (DCASE: filename, onset, offset, label) or .json.",
)
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="X|TYPE=X",
    help="Detection threshold in [0, 1], for every type or per type (repeat). Default: the "
    "per-type thresholds the model chose on validation.",
)
@click.option("--merge-window-ms", type=click.IntRange(0, 10_000), help="Default 200.")
@click.option("--min-duration-ms", type=click.IntRange(0, 10_000), help="Default 50.")
@click.option(
    "--signal-checks/--no-signal-checks",
    default=None,
    help="Drop detections the signal contradicts (the server's default: on).",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    metavar="RULE",
    help="Exit with code 3 when detections exceed RULE: COUNT or RATE/h over all types, or "
    "TYPE=COUNT, TYPE=RATE/h (e.g. click=0, long_pause=5/h). Repeat for several.",
)
@click.option(
    "--from-dataset",
    metavar="DATASET",
    help="Run over the ready audio of DATASET instead of uploading PATHS.",
)
@click.option(
    "--only-new",
    is_flag=True,
    help="With --from-dataset: only the audio this model has not run on yet.",
)
@_metadata_options
@_transfer_options
@json_option
@click.pass_context
def detect(
    ctx: click.Context,
    model: str,
    paths: Sequence[str],
    out: Path | None,
    thresholds: Sequence[str],
    merge_window_ms: int | None,
    min_duration_ms: int | None,
    signal_checks: bool | None,
    fail_on: Sequence[str],
    from_dataset: str | None,
    only_new: bool,
    metadata_pairs: Sequence[str],
    metadata_file: Path | None,
    parallel: int,
    retries: int,
    output: Output,
) -> None:
    """Run MODEL (id or name) over audio files, folders or globs, and wait for the detections.

    Creates an inference job, uploads PATHS to it (in parallel, with retries), waits, prints
    the detections per type and writes them to --out. For CI, --fail-on makes the exit code 3
    when there are too many; a file that could not be uploaded or decoded makes it 1.

    \b
    Examples:
      relay detect "glitches v1" nightly/ --out detections.csv --fail-on click=0
      relay detect MODEL_ID --from-dataset "TTS glitches" --only-new --out new.json
    """
    if from_dataset is None and not paths:
        raise click.UsageError("give PATHS to upload, or --from-dataset DATASET")
    if from_dataset is not None and paths:
        raise click.UsageError("give PATHS or --from-dataset, not both")
    if only_new and from_dataset is None:
        raise click.UsageError("--only-new goes with --from-dataset")
    rules = [parse_rule(rule) for rule in fail_on]
    threshold = _parse_threshold(thresholds)
    if out is not None:
        detection_format_for(out)  # refuse a bad extension before any upload
    metadata = parse_key_values(metadata_pairs, option="--metadata")
    sidecar = read_sidecar(metadata_file) if metadata_file else {}
    client = client_of(ctx)
    following = _JobBar()
    with output.progress() as bars, _still_running(following):
        progress = _UploadProgress(output, bars)
        following.bars = bars
        result = client.detect(
            model,
            list(paths),
            out=out,
            threshold=threshold,
            merge_window_ms=merge_window_ms,
            min_duration_ms=min_duration_ms,
            signal_checks=signal_checks,
            from_dataset=from_dataset,
            only_new=only_new,
            fail_on=rules,
            parallel=parallel,
            retries=retries,
            metadata=metadata,
            sidecar=sidecar,
            on_start=progress.start,
            on_bytes=progress.on_bytes,
            on_file=progress.on_file,
            on_update=following.update,
        )
    job, summary = result.job, result.summary
    failed_files = [file for file in job["files"] if file["status"] == "failed"]
    if output.as_json:
        output.json(
            {
                "job_id": job["id"],
                "status": job["status"],
                "out": str(result.out) if result.out else None,
                "total_files": job["total_files"],
                "failed_files": job.get("failed_files", len(failed_files)),
                "total_detections": job["total_detections"],
                "summary": summary,
                "upload_failures": [
                    {"path": str(r.local.path), "error": r.error}
                    for r in (result.uploads.failed if result.uploads else [])
                ],
                "fail_on": [str(breach) for breach in result.breaches],
            }
        )
    else:
        rows = [{"type": name, **rate} for name, rate in summary["per_type"].items()]
        output.table(
            rows,
            [
                ("type", lambda r: r["type"]),
                ("detections", lambda r: r["count"]),
                ("per audio hour", lambda r: r["per_audio_hour"]),
            ],
            title=f"Job {job['id']}: {job['status']}, {summary['completed_files']} files, "
            f"{summary['total_audio_hours'] * 60:.1f} min of audio",
        )
        for file in failed_files:
            output.problem(f"failed {file['original_filename']}: {file.get('error')}")
        if result.out:
            output.note(f"wrote {job['total_detections']} detections to {result.out}")
    for breach in result.breaches:
        _stderr(f"fail-on: {breach}")
    if job["status"] != "completed":
        sys.exit(EXIT_ERROR)
    if result.breaches:
        sys.exit(EXIT_FAIL_ON)
    if failed_files or (result.uploads and result.uploads.failed):
        sys.exit(EXIT_ERROR)


class _JobBar:
    def __init__(self) -> None:
        self.bars = Bars(None)
        self.bar: Bar | None = None
        self.job_id: str | None = None

    def update(self, job: Any) -> None:
        self.job_id = job["id"]
        if self.bar is None:
            self.bar = self.bars.add("Detecting")
        self.bar.update(total=job["total_files"] or None, completed=job["processed_files"])


# jobs, models, keys ---------------------------------------------------------------------------


@main.group(cls=RelayGroup)
def jobs() -> None:
    """List, show and cancel training and inference jobs."""


def _progress_of(job: dict[str, Any]) -> str:
    if job["kind"] == "training":
        return f"{job['progress_percent']} %"
    return f"{job['processed_files']}/{job['total_files']} files"


JOB_COLUMNS: list[Column] = [
    ("kind", lambda j: j["kind"]),
    ("id", lambda j: j["id"]),
    ("status", lambda j: j["status"]),
    ("progress", _progress_of),
    ("model", lambda j: j.get("model_id")),
    ("created", lambda j: short_time(j["created_at"])),
]


@jobs.command("list")
@click.option("--kind", type=click.Choice(["training", "inference"]), help="Only this kind.")
@click.option(
    "--status",
    type=click.Choice(
        ["queued", "pending", "running", "processing", "completed", "failed", "cancelled"]
    ),
    help="Only jobs in this status.",
)
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(1, 500),
    help="Show at most this many jobs.",
)
@json_option
@click.pass_context
def jobs_list(
    ctx: click.Context, kind: str | None, status: str | None, limit: int, output: Output
) -> None:
    """List the newest training and inference jobs, newest first."""
    items = client_of(ctx).list_jobs(kind=kind, status=status, limit=limit)
    output.listing(items, JOB_COLUMNS)


@jobs.command("show")
@click.argument("job_id", metavar="JOB_ID")
@json_option
@click.pass_context
def jobs_show(ctx: click.Context, job_id: str, output: Output) -> None:
    """Show a training or inference job, with its metrics or its files."""
    job = client_of(ctx).job(job_id)
    if job["kind"] == "training":
        _print_training_job(output, job)
        return
    if output.as_json:
        output.json(job)
        return
    output.table([job], JOB_COLUMNS)
    output.table(
        job["files"],
        [
            ("file", lambda f: f["original_filename"]),
            ("status", lambda f: f["status"]),
            ("detections", lambda f: len(f.get("detections") or [])),
            ("error", lambda f: f.get("error")),
        ],
    )


@jobs.command("cancel")
@click.argument("job_id", metavar="JOB_ID")
@json_option
@click.pass_context
def jobs_cancel(ctx: click.Context, job_id: str, output: Output) -> None:
    """Cancel a queued or running job (a finished one cannot be cancelled)."""
    job = client_of(ctx).cancel_job(job_id)
    if output.as_json:
        output.json(job)
    else:
        output.table([job], JOB_COLUMNS)


@main.group(cls=RelayGroup)
def models() -> None:
    """List and show trained models."""


MODEL_COLUMNS: list[Column] = [
    ("id", lambda m: m["id"]),
    ("name", lambda m: m["name"]),
    ("types", lambda m: m["artifact_types"]),
    ("macro F1", lambda m: ((m.get("metrics") or {}).get("macro") or {}).get("f1")),
    ("created", lambda m: short_time(m["created_at"])),
]


@models.command("list")
@click.option("--dataset", metavar="DATASET", help="Only models trained on DATASET.")
@json_option
@click.pass_context
def models_list(ctx: click.Context, dataset: str | None, output: Output) -> None:
    """List trained models, newest first."""
    items = client_of(ctx).list_models(dataset=dataset)
    output.listing(items, MODEL_COLUMNS)


@models.command("show")
@click.argument("model")
@json_option
@click.pass_context
def models_show(ctx: click.Context, model: str, output: Output) -> None:
    """Show MODEL (id or name) and its validation metrics."""
    found: Any = client_of(ctx).model(model)
    if output.as_json:
        output.json(found)
        return
    output.fields(
        [
            ("id", found["id"]),
            ("name", found["name"]),
            ("dataset", found["dataset_id"]),
            ("training job", found.get("training_job_id")),
            ("types", found["artifact_types"]),
            ("feature recipe", found.get("feature_recipe_version")),
            ("size", human_bytes(found.get("file_size") or 0)),
            ("created", short_time(found["created_at"])),
        ]
    )
    if (found.get("metrics") or {}).get("per_type"):
        print_metrics(output, found["metrics"])


@main.group(cls=RelayGroup)
def keys() -> None:
    """Create, list and revoke API keys (the key you use needs the admin scope)."""


KEY_COLUMNS: list[Column] = [
    ("id", lambda k: k["id"]),
    ("name", lambda k: k["name"]),
    ("prefix", lambda k: k["prefix"]),
    ("scopes", lambda k: k["scopes"]),
    ("last used", lambda k: short_time(k.get("last_used_at"))),
    ("expires", lambda k: short_time(k.get("expires_at"))),
    ("revoked", lambda k: short_time(k.get("revoked_at"))),
]


@keys.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["read", "write", "admin"]),
    help="A scope of the new key; repeat for several (default: read and write).",
)
@click.option("--expires-at", metavar="TIME", help="ISO 8601 expiry, e.g. 2025-12-31T00:00:00Z.")
@json_option
@click.pass_context
def keys_create(
    ctx: click.Context, name: str, scopes: Sequence[str], expires_at: str | None, output: Output
) -> None:
    """Create an API key NAME. The secret is printed once and never again."""
    created: Any = client_of(ctx).create_key(name, scopes=list(scopes), expires_at=expires_at)
    if output.as_json:
        output.json(created)
        return
    output.table([created], KEY_COLUMNS)
    output.note("the key (shown only now):")
    click.echo(created["key"])


@keys.command("list")
@json_option
@click.pass_context
def keys_list(ctx: click.Context, output: Output) -> None:
    """List the API keys of your tenant, revoked ones included."""
    items = client_of(ctx).list_keys()
    output.listing(items, KEY_COLUMNS)


@keys.command("revoke")
@click.argument("key")
@json_option
@click.pass_context
def keys_revoke(ctx: click.Context, key: str, output: Output) -> None:
    """Revoke KEY (its id, prefix or name): it answers 401 from now on."""
    revoked: Any = client_of(ctx).revoke_key(key)
    if output.as_json:
        output.json({**revoked, "revoked": True})
    else:
        output.note(f"revoked {revoked['name']} ({revoked['prefix']})")
