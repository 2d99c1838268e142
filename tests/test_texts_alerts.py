"""Alert texts always fit in one Telegram message, however much the activist wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.context import ContextItem, ContextKind
from bot.core.incidents import Incident
from bot.core.watches import AlertReason
from bot.i18n import Translations
from bot.texts.alerts import MESSAGE_LIMIT, AlertView, render_alert, telegram_length

T0 = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
TRANSLATIONS = Translations()


def view(texts: list[str], instructions: str | None) -> AlertView:
    items = [
        ContextItem(n, ContextKind.TEXT, {"text": text}, T0 - timedelta(minutes=n), T0)
        for n, text in enumerate(texts, start=1)
    ]
    return AlertView(
        name="Azat",
        zone="Asia/Ashgabat",
        incident=Incident(1, 1, AlertReason.MISSED, T0 - timedelta(minutes=30), T0),
        last_checkin_at=None,
        items=items,
        instructions=instructions,
        others_alerted=2,
        acknowledged_by=None,
        repeat=0,
        now=T0,
    )


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(min_size=1, max_size=4096), max_size=5),
    instructions=st.one_of(st.none(), st.text(min_size=1, max_size=2000)),
    language=st.sampled_from(["en", "ru", "tk"]),
)
def test_an_alert_never_exceeds_one_message(
    texts: list[str], instructions: str | None, language: str
) -> None:
    text = render_alert(TRANSLATIONS[language], view(texts, instructions), 500)
    assert telegram_length(text) <= MESSAGE_LIMIT


def test_a_long_alert_keeps_its_head_and_its_closing_line() -> None:
    text = render_alert(TRANSLATIONS["en"], view(["🆘" * 4096] * 5, "😀" * 2000), 500)
    assert text.startswith("🚨 Azat missed a check-in.")
    assert text.endswith("the others will be told.")
    assert telegram_length(text) <= MESSAGE_LIMIT
