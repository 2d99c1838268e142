"""Turn text with a parse_mode into plain text plus entities, as Telegram does.

Bots that interpolate user input into HTML or MarkdownV2 break on a stray "<" or "."; real
Telegram then answers 400 "can't parse entities". The fake parses the same markup so
those bugs show up in tests instead of in front of an activist. Offsets and lengths are
in UTF-16 code units, like Telegram's. Supported: HTML (b, strong, i, em, u, ins, s,
strike, del, span.tg-spoiler, tg-spoiler, a href, code, pre, blockquote, tg-emoji),
MarkdownV2 (including escapes and reserved characters) and legacy Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request

Entity = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*>")
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")

_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


@dataclass
class _Builder:
    """Accumulate plain text and the entities opened and closed along the way."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    entities: list[Entity] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def close(self, entity: Entity, start: int) -> None:
        if self.length > start:
            self.entities.append({**entity, "offset": start, "length": self.length - start})

    def text(self) -> str:
        return "".join(self.parts)


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Parse Telegram's HTML subset; raise ApiError 400 where Telegram would."""
    out = _Builder()
    stack: list[tuple[str, Entity, int]] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "&":
            ref = _CHAR_REF.match(source, index)
            if ref is None or (
                not ref.group(1).startswith("#") and ref.group(1) not in _HTML_NAMED
            ):
                # Telegram leaves unknown or unterminated references as literal text.
                out.add("&")
                index += 1
                continue
            name = ref.group(1)
            if name.startswith("#"):
                digits = name[1:]
                code = int(digits[1:], 16) if digits[:1] in "xX" else int(digits)
                out.add(chr(code) if 0 < code < 0x110000 else "\ufffd")
            else:
                out.add(_HTML_NAMED[name])
            index = ref.end()
            continue
        if char != "<":
            out.add(char)
            index += 1
            continue
        tag = _TAG.match(source, index)
        at = _byte_offset(source, index)
        if tag is None:
            raise _cant_parse(f"Unsupported start tag at byte offset {at}")
        closing, name, raw_attrs = tag.group(1) == "/", tag.group(2).lower(), tag.group(3)
        if closing:
            if not stack:
                raise _cant_parse(f"Unexpected end tag at byte offset {at}")
            open_name, entity, start = stack.pop()
            if open_name != name:
                raise _cant_parse(
                    f'Unmatched end tag at byte offset {at}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            if entity:
                out.close(entity, start)
        else:
            stack.append((name, _html_entity(name, raw_attrs, at, stack), out.length))
        index = tag.end()
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text(), out.entities


def _html_entity(
    name: str, raw_attrs: str, at: int, stack: list[tuple[str, Entity, int]]
) -> Entity:
    """Map one HTML start tag to the entity it opens ({} when it opens none)."""
    kind = _HTML_TAGS.get(name)
    if kind is None:
        raise _cant_parse(f'Unsupported start tag "{name}" at byte offset {at}')
    attrs = {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
        for m in _ATTR.finditer(raw_attrs)
    }
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    if kind == "text_link":
        url = attrs.get("href", "")
        if url.startswith("tg://user?id="):
            return {"type": "text_mention", "user": {"id": int(url.split("=", 1)[1] or 0)}}
        return {"type": "text_link", "url": url} if url else {}
    if kind == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is one pre entity with a language.
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1][1]["language"] = language
        return {}
    if kind == "blockquote" and "expandable" in raw_attrs:
        return {"type": "expandable_blockquote"}
    if kind == "custom_emoji":
        return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
    return {"type": kind}


def parse_markdown(source: str, *, v2: bool) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 (``v2=True``) or legacy Markdown; raise 400 where Telegram would."""
    out = _Builder()
    stack: list[tuple[str, Entity, int, int]] = []  # marker, entity, start, byte offset
    index = 0
    escapable = None if v2 else frozenset("_*`[")
    while index < len(source):
        char = source[index]
        in_code = bool(stack) and stack[-1][0] in ("`", "```")
        if (
            char == "\\"
            and index + 1 < len(source)
            and (escapable is None or source[index + 1] in escapable)
        ):
            out.add(source[index + 1])
            index += 2
            continue
        marker = _marker_at(source, index, v2=v2, in_code=in_code)
        if marker is None:
            if v2 and not in_code and char in _MDV2_RESERVED:
                raise _cant_parse(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(char)
            index += 1
            continue
        at = _byte_offset(source, index)
        if marker == "]":
            index = _close_link(source, index, out, stack, v2=v2)
            continue
        if stack and stack[-1][0] == marker:
            _, closed, start, _ = stack.pop()
            out.close(closed, start)
            index += len(marker)
            continue
        if any(open_marker == marker for open_marker, *_ in stack):
            top_entity = stack[-1][1]
            raise _cant_parse(
                f"Can't find end of {_MD_NAMES[top_entity['type']]} entity at byte offset "
                f"{stack[-1][3]}"
            )
        index += len(marker)
        entity: Entity = {"type": _marker_type(marker)}
        if marker == "```":
            newline = source.find("\n", index)
            language = source[index:newline] if newline != -1 else ""
            if language and re.fullmatch(r"[\w+-]+", language):
                entity["language"] = language
                index = newline + 1
            elif newline == index:
                index += 1
        stack.append((marker, entity, out.length, at))
    if stack:
        _, entity, _, at = stack[-1]
        raise _cant_parse(
            f"Can't find end of {_MD_NAMES[entity['type']]} entity at byte offset {at}"
        )
    return out.text(), out.entities


def _marker_at(source: str, index: int, *, v2: bool, in_code: bool) -> str | None:
    """Return the Markdown marker starting at ``index``, if any."""
    if source.startswith("```", index):
        return "```"
    if source[index] == "`":
        return "`"
    if in_code:
        return None
    if v2:
        for marker in ("||", "__", "*", "_", "~", "[", "]"):
            if source.startswith(marker, index):
                return marker
        return None
    return source[index] if source[index] in "*_[]" else None


def _marker_type(marker: str) -> str:
    return {
        "*": "bold",
        "_": "italic",
        "__": "underline",
        "~": "strikethrough",
        "||": "spoiler",
        "`": "code",
        "```": "pre",
        "[": "text_link",
    }[marker]


def _close_link(
    source: str,
    index: int,
    out: _Builder,
    stack: list[tuple[str, Entity, int, int]],
    *,
    v2: bool,
) -> int:
    """Finish ``[text](url)`` at the "]" and return the index after the ")"."""
    if not stack or stack[-1][0] != "[":
        if v2:
            raise _cant_parse(
                "Character ']' is reserved and must be escaped with the preceding '\\'"
            )
        out.add("]")
        return index + 1
    _, entity, start, at = stack.pop()
    if not source.startswith("(", index + 1):
        raise _cant_parse(f"Can't find end of TextUrl entity at byte offset {at}")
    url_chars: list[str] = []
    cursor = index + 2
    while cursor < len(source) and source[cursor] != ")":
        if v2 and source[cursor] == "\\" and cursor + 1 < len(source):
            cursor += 1
        url_chars.append(source[cursor])
        cursor += 1
    if cursor >= len(source):
        raise _cant_parse(f"Can't find end of TextUrl entity at byte offset {at}")
    out.close({**entity, "url": "".join(url_chars)}, start)
    return cursor + 1


def _trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace like Telegram and keep entities on the same characters."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        begin = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > begin:
            kept.append({**entity, "offset": begin, "length": end - begin})
    return stripped, kept


def render(
    source: str, parse_mode: str | None, entities: list[Entity] | None
) -> tuple[str, list[Entity]]:
    """Return the message text and entities Telegram would store for this input."""
    mode = (parse_mode or "").lower()
    if entities is not None or not mode:
        text, found = source, list(entities or [])
    elif mode == "html":
        text, found = parse_html(source)
    elif mode in ("markdownv2", "markdown"):
        text, found = parse_markdown(source, v2=mode == "markdownv2")
    else:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    text, found = _trim(text, found)
    found.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return text, found
