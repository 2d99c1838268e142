from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import (
    DEFAULT_BASE_URL,
    MISSING_TOKEN_HELP,
    Secret,
    SettingsError,
    load_settings,
)

TOKEN = "123456:ABC-def_ghi"
ENV = {"TELEGRAM_TOKEN": TOKEN}
REPO_SETTINGS = Path(__file__).resolve().parent.parent / "settings.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path | None, environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ)
    return caught.value.problems


def test_without_a_file_every_setting_has_its_default() -> None:
    settings = load_settings(None, ENV)
    assert settings.telegram.base_url == DEFAULT_BASE_URL
    assert settings.storage.path == Path("data/stillhere.sqlite3")
    assert settings.scheduler.tick == timedelta(seconds=1)
    assert settings.checkins.min_interval == timedelta(minutes=15)
    assert settings.security.admins == frozenset()
    assert settings.logging.level == "INFO"
    assert settings.token.reveal() == TOKEN


def test_the_shipped_settings_file_loads_and_matches_the_defaults() -> None:
    shipped = load_settings(REPO_SETTINGS, ENV)
    defaults = load_settings(None, ENV)
    assert shipped.telegram == defaults.telegram
    assert shipped.scheduler == defaults.scheduler
    assert shipped.checkins == defaults.checkins
    assert shipped.alerts == defaults.alerts
    assert shipped.security.admins == defaults.security.admins
    assert shipped.security.key_file == REPO_SETTINGS.parent / "data/stillhere.key"
    assert shipped.storage.path == REPO_SETTINGS.parent / "data/stillhere.sqlite3"


def test_every_key_is_read_with_its_meaning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [telegram]
        base_url = "http://127.0.0.1:8081/bot"
        [storage]
        path = "/var/lib/stillhere/db.sqlite3"
        [scheduler]
        tick = "2s"
        [checkins]
        min_interval = "1h30m"
        [security]
        admins = [11, 22]
        [logging]
        level = "debug"
        """,
    )
    settings = load_settings(path, ENV)
    assert settings.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert settings.storage.path == Path("/var/lib/stillhere/db.sqlite3")
    assert settings.scheduler.tick == timedelta(seconds=2)
    assert settings.checkins.min_interval == timedelta(hours=1, minutes=30)
    assert settings.security.admins == frozenset({11, 22})
    assert settings.logging.level == "DEBUG"


def test_a_relative_storage_path_is_relative_to_the_settings_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[storage]\npath = "db/bot.sqlite3"\n')
    assert load_settings(path, ENV).storage.path == tmp_path / "db/bot.sqlite3"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [telegram]
        base_url = "ftp://example"
        tokne = "x"
        [scheduler]
        tick = "banana"
        [checkins]
        min_interval = 15
        [security]
        admins = [true, "me"]
        [logging]
        level = "LOUD"
        [colour]
        sky = "blue"
        """,
    )
    problems = problems_of(path, ENV)
    assert len(problems) == 7
    joined = "\n".join(problems)
    assert "[telegram] base_url" in joined
    assert "[telegram] tokne: unknown key" in joined
    assert "[scheduler] tick: 'banana' is not a duration" in joined
    assert "[checkins] min_interval: must be a duration string" in joined
    assert "[security] admins" in joined
    assert "[logging] level" in joined
    assert "[colour]: unknown section" in joined


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[scheduler]\ntick = 0\n", "[scheduler] tick: must be a duration string"),
        ('[scheduler]\ntick = "0s"\n', "[scheduler] tick: '0s' is not a duration"),
        ('[scheduler]\ntick = "5 minutes"\n', "[scheduler] tick: '5 minutes' is not a duration"),
        ("[security]\nadmins = 5\n", "[security] admins: must be a list"),
        ("[security]\nadmins = [-5]\n", "[security] admins: must hold only positive"),
        ('[storage]\npath = ""\n', "[storage] path: must be a non-empty path"),
        ('telegram = "x"\n', "telegram: must be a [telegram] table"),
    ],
)
def test_each_kind_of_bad_value_is_named(tmp_path: Path, text: str, fragment: str) -> None:
    problems = problems_of(write(tmp_path, text), ENV)
    assert any(fragment in problem for problem in problems), problems


def test_invalid_toml_is_one_clear_problem(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "[telegram\nbase_url = 1"), ENV)
    assert len(problems) == 1
    assert "is not valid TOML" in problems[0]


def test_a_missing_settings_file_named_explicitly_is_a_problem(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nope.toml", ENV)
    assert problems == [f"settings file {tmp_path / 'nope.toml'} does not exist"]


def test_a_missing_token_explains_how_to_get_one() -> None:
    assert problems_of(None, {}) == [MISSING_TOKEN_HELP]
    assert "@BotFather" in MISSING_TOKEN_HELP
    assert "TELEGRAM_TOKEN_FILE" in MISSING_TOKEN_HELP


def test_the_token_can_come_from_a_file(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    settings = load_settings(None, {"TELEGRAM_TOKEN_FILE": str(token_file)})
    assert settings.token.reveal() == TOKEN


def test_an_unreadable_or_empty_token_file_is_a_problem(tmp_path: Path) -> None:
    missing = problems_of(None, {"TELEGRAM_TOKEN_FILE": str(tmp_path / "absent")})
    assert "cannot be read" in missing[0]
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    assert "is empty" in problems_of(None, {"TELEGRAM_TOKEN_FILE": str(empty)})[0]


def test_both_token_sources_at_once_is_a_problem(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN, encoding="utf-8")
    problems = problems_of(None, {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_TOKEN_FILE": str(token_file)})
    assert problems == ["set either TELEGRAM_TOKEN or TELEGRAM_TOKEN_FILE, not both"]


def test_a_malformed_token_is_a_problem_that_does_not_echo_it() -> None:
    problems = problems_of(None, {"TELEGRAM_TOKEN": "not-a-token-secretpart"})
    assert len(problems) == 1
    assert "secretpart" not in problems[0]


def test_file_problems_and_token_problems_are_reported_together(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "[x]\n"), {"TELEGRAM_TOKEN": "bad"})
    assert len(problems) == 2


def test_the_token_never_shows_in_repr_or_str() -> None:
    settings = load_settings(None, ENV)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert TOKEN not in repr(Secret(TOKEN))
    assert TOKEN not in f"{settings.token}"


def test_check_in_defaults_can_be_set(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [checkins]
        default_interval = "6h"
        default_grace = "10m"
        default_reminder = "off"
        max_pause = "3d"
        default_timezone = "asia/ashgabat"
        daily_window = "1h"
        context_items = 5
        context_retention = "2d"
        """,
    )
    checkins = load_settings(path, ENV).checkins
    assert checkins.default_interval == timedelta(hours=6)
    assert checkins.default_grace == timedelta(minutes=10)
    assert checkins.default_reminder is None
    assert checkins.max_pause == timedelta(days=3)
    assert checkins.default_timezone == "Asia/Ashgabat"
    assert checkins.daily_window == timedelta(hours=1)
    assert checkins.context_items == 5
    assert checkins.context_retention == timedelta(days=2)


def test_bad_check_in_defaults_are_each_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [checkins]
        default_reminder = "never"
        default_timezone = "Mars/Base"
        context_items = 0
        """,
    )
    joined = "\n".join(problems_of(path, ENV))
    assert (
        '[checkins] default_reminder: \'never\' must be a duration such as "1h", or "off"' in joined
    )
    assert "[checkins] default_timezone: 'Mars/Base' is not an IANA zone name" in joined
    assert "[checkins] context_items: must be a positive whole number" in joined


def test_alert_settings_are_read_and_checked(tmp_path: Path) -> None:
    good = write(
        tmp_path,
        '[alerts]\nescalate_after = "5m"\nrepeat_every = "2m"\nrepeat_max = 0\n'
        'invite_lifetime = "1h"\nquoted_messages = 3\nquote_length = 100\n',
    )
    alerts = load_settings(good, ENV).alerts
    assert alerts.escalate_after == timedelta(minutes=5)
    assert alerts.repeat_every == timedelta(minutes=2)
    assert alerts.repeat_max == 0
    assert alerts.invite_lifetime == timedelta(hours=1)
    assert (alerts.quoted_messages, alerts.quote_length) == (3, 100)
    bad = write(tmp_path, '[alerts]\nrepeat_max = -1\nquote_length = "long"\n')
    joined = "\n".join(problems_of(bad, ENV))
    assert "[alerts] repeat_max: must be a whole number, 0 or more" in joined
    assert "[alerts] quote_length: must be a positive whole number" in joined


def test_the_key_comes_from_the_environment_or_a_key_file(tmp_path: Path) -> None:
    settings = load_settings(None, ENV | {"STILLHERE_KEY": "abc"})
    assert settings.key is not None
    assert settings.key.reveal() == "abc"
    assert "abc" not in repr(settings)
    named = load_settings(None, ENV | {"STILLHERE_KEY_FILE": "/run/secrets/key"})
    assert named.key is None
    assert named.security.key_file == Path("/run/secrets/key")
    both = ENV | {"STILLHERE_KEY": "abc", "STILLHERE_KEY_FILE": "/k"}
    assert problems_of(None, both) == ["set either STILLHERE_KEY or STILLHERE_KEY_FILE, not both"]
    relative = write(tmp_path, '[security]\nkey_file = "secret/bot.key"\n')
    assert load_settings(relative, ENV).security.key_file == tmp_path / "secret/bot.key"


def test_protection_settings_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, '[security]\ndiscreet_delay = "2m"\nflood_limit = 5\n')
    security = load_settings(path, ENV).security
    assert security.discreet_delay == timedelta(minutes=2)
    assert security.flood_limit == 5
    bad = write(tmp_path, '[security]\nflood_limit = 0\ndiscreet_delay = "soon"\n')
    assert len(problems_of(bad, ENV)) == 2


def test_the_longest_interval_and_grace_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, '[checkins]\nmax_interval = "3d"\nmax_grace = "2h"\n')
    checkins = load_settings(path, ENV).checkins
    assert checkins.max_interval == timedelta(days=3)
    assert checkins.max_grace == timedelta(hours=2)


def test_defaults_outside_their_own_limits_are_refused_together(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[checkins]\nmax_interval = "6h"\ndefault_interval = "12h"\n'
        'max_grace = "10m"\ndefault_grace = "30m"\n',
    )
    assert problems_of(path, ENV) == [
        "[checkins] default_interval must lie between min_interval and max_interval",
        "[checkins] default_grace must not be longer than max_grace",
    ]


def test_the_heartbeat_url_comes_from_the_environment_or_a_file_and_is_never_echoed(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "hb"
    secret.write_text("https://hc-ping.com/0f3c-secret-uuid/\n", "utf-8")
    env = {"TELEGRAM_TOKEN": "123:TEST", "STILLHERE_HEARTBEAT_URL_FILE": str(secret)}
    settings = load_settings(None, env)
    url = settings.monitoring.heartbeat_url
    assert url is not None
    assert url.reveal() == "https://hc-ping.com/0f3c-secret-uuid"
    assert "secret-uuid" not in repr(settings)
    with pytest.raises(SettingsError) as raised:
        load_settings(
            None, {"TELEGRAM_TOKEN": "123:TEST", "STILLHERE_HEARTBEAT_URL": "ftp://x-secret"}
        )
    assert "x-secret" not in "\n".join(raised.value.problems)
    # The operator's offline commands need no token.
    assert load_settings(None, {}, need_token=False).monitoring.heartbeat_url is None
