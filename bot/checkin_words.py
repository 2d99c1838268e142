"""Check-in words: a whole message such as "ok" or "я в порядке" counts as a check-in.

Someone who types "ok" means they are fine; keeping it as their last words, to be
quoted to their contacts in an alert, would be the opposite of what they meant.
Only a message made of nothing but such a phrase counts ("Ok, police at the
door" is kept as context). The phrases of every supported language are accepted
whatever the person's own: a keyboard or habit in another language is common.
"""

from __future__ import annotations

import unicodedata

# As :func:`normalise` leaves them.
CHECKIN_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        {
            "ok",
            "okay",
            "i'm ok",
            "im ok",
            "i am ok",
            "i'm okay",
            "i am okay",
            "i'm fine",
            "i am fine",
            "i'm safe",
            "i am safe",
            "all good",
            "all ok",
            "fine",
            "safe",
        }
    ),
    "ru": frozenset(
        {
            "ок",
            "окей",
            "ok",
            "я в порядке",
            "в порядке",
            "всё в порядке",
            "все в порядке",
            "всё хорошо",
            "все хорошо",
            "я в безопасности",
            "норм",
            "нормально",
        }
    ),
    "tk": frozenset(
        {
            "ok",
            "men gowy",
            "gowy",
            "hemme zat gowy",
            "howpsuz",
            "men howpsuz",
            "men sag",
            "sag",
            "bolýar",
            "boldy",
        }
    ),
}
_ALL = frozenset().union(*CHECKIN_WORDS.values())
# Typographic apostrophes (right single quotation mark, grave accent) as typed on phones.
_APOSTROPHES = str.maketrans({"\u2019": "'", "`": "'"})


def normalise(text: str) -> str:
    """Return ``text`` as the phrases are written: lower case, plain apostrophes, single
    spaces, and nothing but letters, digits, apostrophes and hyphens (no punctuation, no
    emoji)."""
    folded = unicodedata.normalize("NFC", text).casefold().translate(_APOSTROPHES)
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LNZ" or ch in "'-")
    return " ".join(kept.split())


def is_checkin_phrase(text: str | None) -> bool:
    """Return whether a message is only a check-in phrase, in any supported language."""
    return bool(text) and len(text or "") <= 40 and normalise(text or "") in _ALL
