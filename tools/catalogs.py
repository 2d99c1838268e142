"""Refresh the gettext catalogs from the code: ``python -m tools.catalogs``.

1. Extract every marked message from ``bot/`` and ``handlers/`` into
   ``bot/locale/messages.pot``.
2. Update each language's ``messages.po``: new messages are added (English gets
   its own text; other languages an empty translation to fill in), messages no
   longer in the code are dropped, existing translations are kept.

``tests/test_i18n.py`` fails while any catalog misses a translation.
"""

from __future__ import annotations

import copy
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, EXTRACT_KEYWORDS, LOCALE_DIR
from bot.languages import SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers")


def extract() -> Catalog:
    """Return a template catalog of every message marked in the sources."""
    template = Catalog(project="Still Here", domain=DOMAIN, charset="utf-8")
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / source, keywords=EXTRACT_KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            template.add(
                message,
                locations=[(f"{source}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def refresh(template: Catalog, language: str) -> Catalog:
    """Return the catalog of ``language`` brought in line with ``template``."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path.exists():
        with path.open("rb") as source:
            catalog = read_po(source, locale=language, domain=DOMAIN)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, project="Still Here")
    # A copy: update() may share message objects with the template, and the
    # English pass below must not write into the other languages.
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    if language == "en":
        for message in catalog:
            if message.id and not _translated(message.string):
                # A plural entry's id is (singular, plural): English uses both as they are.
                message.string = message.id
    return catalog


def main() -> None:
    template = extract()
    LOCALE_DIR.mkdir(exist_ok=True)
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as target:
        write_po(target, template, omit_header=False, width=100)
    for language in SUPPORTED_LANGUAGES:
        catalog = refresh(template, language)
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as target:
            write_po(target, catalog, width=100)
        missing = [m for m in catalog if m.id and not _translated(m.string)]
        print(f"{language}: {len(catalog)} messages, {len(missing)} untranslated")


def _translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    if string is None or isinstance(string, str):
        return bool(string)
    return all(string)


if __name__ == "__main__":
    main()
