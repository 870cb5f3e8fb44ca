"""Where the client finds the server and the key: options, then `RELAY_URL` / `RELAY_API_KEY`,
then the config file `relay login` writes (`$RELAY_CONFIG`, else
`$XDG_CONFIG_HOME/relay/config.json`, else `~/.config/relay/config.json`), readable by its owner
only."""

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from relay_client.errors import ConfigError

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Settings:
    url: str
    api_key: str
    source: str  # where they came from, for error messages and `relay login --show`


def config_path() -> Path:
    if explicit := os.environ.get("RELAY_CONFIG"):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "relay" / "config.json"


def read_config(path: Path | None = None) -> dict[str, str]:
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise ConfigError(f"{path} is not JSON; run `relay login` again") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a JSON object; run `relay login` again")
    return {key: str(value) for key, value in data.items() if isinstance(value, str)}


def write_config(url: str, api_key: str, path: Path | None = None) -> Path:
    """Writes the URL and key, creating the file with mode 0600 (the folder 0700) so that no
    other user can read the key, and tightening an existing file to 0600."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"url": url, "api_key": api_key}, handle, indent=2)
        handle.write("\n")
    return path


def resolve(url: str | None = None, api_key: str | None = None) -> Settings:
    """The settings to use: explicit arguments first, then the environment, then the file.
    Raises ConfigError when no key is found anywhere."""
    stored = read_config() if not (url and api_key) else {}
    env_url, env_key = os.environ.get("RELAY_URL"), os.environ.get("RELAY_API_KEY")
    chosen_url = url or env_url or stored.get("url") or DEFAULT_URL
    chosen_key = api_key or env_key or stored.get("api_key")
    if not chosen_key:
        raise ConfigError(
            "no API key: set RELAY_API_KEY (and RELAY_URL), pass --api-key, or run `relay login`"
        )
    if api_key:
        source = "--api-key"
    elif env_key:
        source = "RELAY_API_KEY"
    else:
        source = str(config_path())
    return Settings(url=normalize_url(chosen_url), api_key=chosen_key, source=source)


def normalize_url(url: str) -> str:
    """The server's base URL: scheme and host, without a trailing `/` or `/api/v1`."""
    url = url.strip().rstrip("/")
    url = url.removesuffix("/api/v1")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"the server URL must start with http:// or https://, got {url!r}")
    return url
