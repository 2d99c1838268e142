"""Load ``settings.toml`` and the environment into frozen settings, failing loudly.

Every problem in the file is collected and reported at once, so an operator fixes
a misspelled key and a bad duration in one go instead of one restart each. The
bot token never comes from the file: only from ``TELEGRAM_TOKEN`` or from the file
named by ``TELEGRAM_TOKEN_FILE``, and it is wrapped in :class:`Secret` so no
``repr``, log line or traceback can show it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.durations import DurationError, parse_duration
from bot.zones import canonical_zone

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_STORAGE_PATH = "data/stillhere.sqlite3"
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

MISSING_TOKEN_HELP = """\
No Telegram bot token was given.

1. In Telegram, open @BotFather, send /newbot and follow its questions.
   It answers with a token that looks like 123456789:AAH...
2. Pass the token to Still Here in the environment, for example:
       TELEGRAM_TOKEN=123456789:AAH... python -m bot
   or put it in a file readable only by the bot and name that file:
       TELEGRAM_TOKEN_FILE=/run/secrets/telegram_token python -m bot
The token is never read from settings.toml, so the settings file can be shared."""  # noqa: S105 -- help text, not a secret


class SettingsError(Exception):
    """Raised when settings cannot be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Secret:
    """Hold a secret value that ``repr`` and ``str`` never show."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        """Return the secret itself, for the one place that must send it."""
        return self._value

    def __str__(self) -> str:
        return "**********"


@dataclass(frozen=True)
class TelegramSettings:
    base_url: str = DEFAULT_BASE_URL


@dataclass(frozen=True)
class StorageSettings:
    path: Path = Path(DEFAULT_STORAGE_PATH)
    # Closed alerts (and answered asks) are forgotten this long after they ended.
    history_retention: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class SchedulerSettings:
    tick: timedelta = timedelta(seconds=1)
    # Deadlines that passed while the bot was down first prompt the activist and
    # wait this long before alerting (0: alert at once, as late as it already is).
    catch_up_grace: timedelta = timedelta(0)


@dataclass(frozen=True)
class CheckinSettings:
    min_interval: timedelta = timedelta(minutes=15)
    # The longest interval and grace anyone may set: beyond them a plan no
    # longer protects anyone, and they bound what a forced change can postpone.
    max_interval: timedelta = timedelta(days=7)
    default_interval: timedelta = timedelta(hours=12)
    default_grace: timedelta = timedelta(minutes=30)
    max_grace: timedelta = timedelta(days=1)
    # None: no reminder before a deadline unless the activist asks for one.
    default_reminder: timedelta | None = timedelta(hours=1)
    max_pause: timedelta = timedelta(days=14)
    default_timezone: str = "UTC"
    # A check-in this long before a daily slot satisfies that slot.
    daily_window: timedelta = timedelta(hours=2)
    context_items: int = 20
    context_retention: timedelta = timedelta(days=7)
    # The trail of places: a position kept at least this long after the last one,
    # and at most this many kept (besides the first of a sharing).
    trail_every: timedelta = timedelta(minutes=3)
    trail_points: int = 12
    # A timed check-in (/timer) reminds this long before its end ("off": never).
    timer_reminder: timedelta | None = timedelta(minutes=10)
    # "Are you OK?" from a contact: how long the activist has to answer before
    # every contact is alerted, and how often one contact may ask one activist
    # in 24 hours.
    ask_timeout: timedelta = timedelta(minutes=15)
    ask_limit: int = 3


@dataclass(frozen=True)
class AlertSettings:
    # Tier 2 is alerted this long after tier 1 if nobody acknowledged.
    escalate_after: timedelta = timedelta(minutes=15)
    repeat_every: timedelta = timedelta(minutes=10)
    repeat_max: int = 3
    invite_lifetime: timedelta = timedelta(hours=24)
    # How many of the last messages an alert quotes, and how much of each.
    quoted_messages: int = 5
    quote_length: int = 500


@dataclass(frozen=True)
class SecuritySettings:
    admins: frozenset[int] = frozenset()
    # The encryption key's file, created on first start; STILLHERE_KEY_FILE overrides it.
    key_file: Path = Path("data/stillhere.key")
    # In discreet mode, check-in exchanges are deleted from the chat this long after.
    discreet_delay: timedelta = timedelta(minutes=5)
    # Updates one person may send per minute before the bot stops answering for a while.
    flood_limit: int = 30


@dataclass(frozen=True)
class TeamSettings:
    # How long the audit trail of a team keeps each event.
    audit_retention: timedelta = timedelta(days=365)
    # How long a /coordinator or /enrol link can be opened.
    link_lifetime: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"
    # "text" lines, or "json": one object per line, for log collectors.
    format: str = "text"


@dataclass(frozen=True)
class MonitoringSettings:
    # An alert (or all-clear) waiting undelivered longer than this makes the bot unhealthy.
    stuck_after: timedelta = timedelta(minutes=5)
    # An outside monitor's ping URL (Healthchecks' convention: GET it while healthy,
    # "<url>/fail" with a reason when not). A secret: anyone with it can fake pings.
    heartbeat_url: Secret | None = None
    heartbeat_every: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class Settings:
    token: Secret
    # The encryption key itself when given as STILLHERE_KEY (else read from key_file).
    key: Secret | None = None
    telegram: TelegramSettings = TelegramSettings()
    storage: StorageSettings = StorageSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    checkins: CheckinSettings = CheckinSettings()
    alerts: AlertSettings = AlertSettings()
    security: SecuritySettings = SecuritySettings()
    teams: TeamSettings = TeamSettings()
    logging: LoggingSettings = LoggingSettings()
    monitoring: MonitoringSettings = MonitoringSettings()


# A converter turns a raw TOML value into the setting's value or raises ValueError
# with a message that completes "[section] key: ...".
Converter = Callable[[Any], Any]


def _duration(raw: Any) -> timedelta:
    if not isinstance(raw, str):
        raise ValueError(f'must be a duration string such as "15m", not {_type_name(raw)}')
    try:
        return parse_duration(raw)
    except DurationError:
        raise ValueError(
            f'{raw!r} is not a duration; write it like "90s", "15m", "12h", "2d" or "1h30m"'
        ) from None


def _duration_or_zero(raw: Any) -> timedelta:
    """A duration, where "0s" (or "0") means none."""
    if isinstance(raw, str) and raw.strip() in ("0", "0s", "0m"):
        return timedelta(0)
    return _duration(raw)


def _optional_duration(raw: Any) -> timedelta | None:
    if raw == "off":
        return None
    try:
        return _duration(raw)
    except ValueError:
        raise ValueError(f'{raw!r} must be a duration such as "1h", or "off"') from None


def _positive_int(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise ValueError(f"must be a positive whole number, not {raw!r}")
    return raw


def _non_negative_int(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError(f"must be a whole number, 0 or more, not {raw!r}")
    return raw


def _timezone(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(
            f'must be an IANA zone name such as "Asia/Ashgabat", not {_type_name(raw)}'
        )
    zone = canonical_zone(raw)
    if zone is None:
        raise ValueError(f'{raw!r} is not an IANA zone name such as "Asia/Ashgabat"')
    return zone


def _base_url(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"must be a string, not {_type_name(raw)}")
    if not raw.startswith(("https://", "http://")):
        raise ValueError(f"{raw!r} must start with https:// or http://")
    return raw


def _path(raw: Any) -> Path:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"must be a non-empty path string, not {_type_name(raw)}")
    return Path(raw)


def _admins(raw: Any) -> frozenset[int]:
    if not isinstance(raw, list):
        raise ValueError(f"must be a list of Telegram user ids, not {_type_name(raw)}")
    # bool is a subclass of int in Python; `true` is not a user id.
    bad = [item for item in raw if isinstance(item, bool) or not isinstance(item, int)]
    if bad or any(item <= 0 for item in raw):
        raise ValueError("must hold only positive whole numbers (Telegram user ids)")
    return frozenset(raw)


def _log_level(raw: Any) -> str:
    if not isinstance(raw, str) or raw.upper() not in _LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
    return raw.upper()


def _type_name(raw: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list"}.get(
        type(raw), type(raw).__name__
    )


def _heartbeat_url(raw: Any) -> Secret:
    if not isinstance(raw, str) or not raw.startswith(("https://", "http://")):
        # Never echo it: the URL is a secret.
        raise ValueError("must be an http(s) URL such as https://hc-ping.com/<uuid>")
    return Secret(raw.rstrip("/"))


def _log_format(raw: Any) -> str:
    if raw not in ("text", "json"):
        raise ValueError(f'must be "text" or "json", not {raw!r}')
    return str(raw)


_SCHEMA: dict[str, tuple[type[Any], dict[str, Converter]]] = {
    "telegram": (TelegramSettings, {"base_url": _base_url}),
    "storage": (StorageSettings, {"path": _path, "history_retention": _duration}),
    "scheduler": (SchedulerSettings, {"tick": _duration, "catch_up_grace": _duration_or_zero}),
    "checkins": (
        CheckinSettings,
        {
            "min_interval": _duration,
            "max_interval": _duration,
            "default_interval": _duration,
            "default_grace": _duration,
            "max_grace": _duration,
            "default_reminder": _optional_duration,
            "max_pause": _duration,
            "default_timezone": _timezone,
            "daily_window": _duration,
            "context_items": _positive_int,
            "context_retention": _duration,
            "trail_every": _duration,
            "trail_points": _positive_int,
            "timer_reminder": _optional_duration,
            "ask_timeout": _duration,
            "ask_limit": _positive_int,
        },
    ),
    "alerts": (
        AlertSettings,
        {
            "escalate_after": _duration,
            "repeat_every": _duration,
            "repeat_max": _non_negative_int,
            "invite_lifetime": _duration,
            "quoted_messages": _positive_int,
            "quote_length": _positive_int,
        },
    ),
    "security": (
        SecuritySettings,
        {
            "admins": _admins,
            "key_file": _path,
            "discreet_delay": _duration,
            "flood_limit": _positive_int,
        },
    ),
    "teams": (
        TeamSettings,
        {"audit_retention": _duration, "link_lifetime": _duration},
    ),
    "logging": (LoggingSettings, {"level": _log_level, "format": _log_format}),
    "monitoring": (
        MonitoringSettings,
        {
            "stuck_after": _duration,
            "heartbeat_url": _heartbeat_url,
            "heartbeat_every": _duration,
        },
    ),
}


def load_settings(
    path: Path | None, environ: Mapping[str, str], *, need_token: bool = True
) -> Settings:
    """Read the settings file at ``path`` (defaults when ``None``) and the token.

    ``need_token``: the operator's commands that never talk to Telegram (health,
    backup, restore, rotate-key) run without one.

    1. Parse the TOML; a syntax error is one problem and ends parsing.
    2. Convert every known key, collecting unknown sections, unknown keys and bad values.
    3. Read the token from the environment.
    4. Raise :class:`SettingsError` with all problems, or return the settings.
    """
    problems: list[str] = []
    document: dict[str, Any] = {}
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError([f"settings file {path} does not exist"]) from None
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError([f"settings file {path} cannot be read: {error}"]) from None
        except tomllib.TOMLDecodeError as error:
            raise SettingsError([f"settings file {path} is not valid TOML: {error}"]) from None

    sections: dict[str, Any] = {}
    for name, value in document.items():
        if name not in _SCHEMA:
            problems.append(f"[{name}]: unknown section (known: {', '.join(_SCHEMA)})")
        elif not isinstance(value, dict):
            problems.append(f"{name}: must be a [{name}] table")
        else:
            sections[name] = _convert_section(name, value, problems)

    _check_bounds(sections.get("checkins", CheckinSettings()), problems)
    base = path.parent if path is not None else Path()
    # Relative paths are relative to the settings file, not to whatever
    # directory the bot happened to be started from.
    storage: StorageSettings = sections.get("storage", StorageSettings())
    sections["storage"] = replace(storage, path=base / storage.path)
    security: SecuritySettings = sections.get("security", SecuritySettings())
    key_file = environ.get("STILLHERE_KEY_FILE", "").strip()
    sections["security"] = replace(
        security, key_file=Path(key_file) if key_file else base / security.key_file
    )
    key_text = environ.get("STILLHERE_KEY", "").strip()
    if key_text and key_file:
        problems.append("set either STILLHERE_KEY or STILLHERE_KEY_FILE, not both")

    monitoring: MonitoringSettings = sections.get("monitoring", MonitoringSettings())
    heartbeat = _read_secret(environ, "STILLHERE_HEARTBEAT_URL", problems)
    if heartbeat is not None:
        try:
            sections["monitoring"] = replace(monitoring, heartbeat_url=_heartbeat_url(heartbeat))
        except ValueError as error:
            problems.append(f"STILLHERE_HEARTBEAT_URL: {error}")

    token = _read_token(environ, problems) if need_token else Secret("")
    if problems or token is None:
        raise SettingsError(problems or [MISSING_TOKEN_HELP])
    return Settings(token=token, key=Secret(key_text) if key_text else None, **sections)


def _read_secret(environ: Mapping[str, str], name: str, problems: list[str]) -> str | None:
    """Return ``name`` from the environment, or the content of the file ``name_FILE`` names."""
    direct = environ.get(name, "").strip()
    file_name = environ.get(f"{name}_FILE", "").strip()
    if direct and file_name:
        problems.append(f"set either {name} or {name}_FILE, not both")
        return None
    if file_name:
        try:
            direct = Path(file_name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            problems.append(
                f"{name}_FILE names {file_name}, which cannot be read ({type(error).__name__})"
            )
            return None
    return direct or None


def _check_bounds(checkins: CheckinSettings, problems: list[str]) -> None:
    """Add a problem for each default that lies outside its own limits."""
    if not checkins.min_interval <= checkins.default_interval <= checkins.max_interval:
        problems.append(
            "[checkins] default_interval must lie between min_interval and max_interval"
        )
    if checkins.default_grace > checkins.max_grace:
        problems.append("[checkins] default_grace must not be longer than max_grace")


def _convert_section(name: str, table: dict[str, Any], problems: list[str]) -> Any:
    cls, converters = _SCHEMA[name]
    values: dict[str, Any] = {}
    for key, raw in table.items():
        converter = converters.get(key)
        if converter is None:
            problems.append(f"[{name}] {key}: unknown key (known: {', '.join(converters)})")
            continue
        try:
            values[key] = converter(raw)
        except ValueError as error:
            problems.append(f"[{name}] {key}: {error}")
    return cls(**values)


def _read_token(environ: Mapping[str, str], problems: list[str]) -> Secret | None:
    direct = environ.get("TELEGRAM_TOKEN", "").strip()
    file_name = environ.get("TELEGRAM_TOKEN_FILE", "").strip()
    if direct and file_name:
        problems.append("set either TELEGRAM_TOKEN or TELEGRAM_TOKEN_FILE, not both")
        return None
    if file_name:
        try:
            direct = Path(file_name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            problems.append(
                f"TELEGRAM_TOKEN_FILE names {file_name}, which cannot be read "
                f"({error.__class__.__name__})"
            )
            return None
        if not direct:
            problems.append(f"TELEGRAM_TOKEN_FILE names {file_name}, which is empty")
            return None
    if not direct:
        return None
    if not _TOKEN_SHAPE.match(direct):
        # Never echo the value: a mistyped token is still mostly a real token.
        problems.append(
            "the Telegram token does not look like one from @BotFather "
            "(digits, a colon, then letters, digits, - or _)"
        )
        return None
    return Secret(direct)
