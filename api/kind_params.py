"""Kind spellings in paths and queries, stated once as a pattern that the router, the
parameter checks and the OpenAPI document all use, so they cannot disagree.

A kind is accepted as `manifests.kinds` reads it: singular or plural, any ASCII case
(`containers`, `Container`, `CONTAINERS`). In paths the `kind` convertor matches only those,
so `/v1/token/rotate` is never taken for an object `rotate` of kind `token` (a GET there is
405, not 404); `/v1/<not a kind>` is a 404 that names the known kinds (`api.errors`).
Events also take `Source` (watched files) and an empty value (no filter).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.convertors import Convertor, register_url_convertor

from dockform.manifests.kinds import PLURALS

SOURCE_WORD = "source"


def _caseless(word: str) -> str:
    # Character classes rather than an inline (?i) flag: JSON Schema patterns are ECMA-262.
    return "".join(f"[{char.upper()}{char.lower()}]" if char.isalpha() else char for char in word)


def _alternatives(words: list[str]) -> str:
    return "|".join(f"{_caseless(word)}[Ss]?" for word in words)


KIND_SEGMENT = f"(?:{_alternatives([kind.lower() for kind in PLURALS])})"
KIND_PATH_PATTERN = f"^{KIND_SEGMENT}$"
# `canonical_kind` strips blanks around the kind; an empty filter means none. Spaces and tabs
# only: `\s` means more in Python than in the document's ECMA-262 patterns.
_KIND_QUERY_BODY = (
    rf"[ \t]*(?:{_alternatives([*(kind.lower() for kind in PLURALS), SOURCE_WORD])})[ \t]*"
)
KIND_QUERY_PATTERN = rf"^{_KIND_QUERY_BODY}$|^$"
_KIND_QUERY = re.compile(f"(?:{_KIND_QUERY_BODY})?")
KINDS_IN_PATHS = sorted(PLURALS.values())


def is_kind_query(text: str) -> bool:
    """Whether the events filter `text` is one the document allows (Python `re`, as
    schemathesis and jsonschema read the pattern)."""
    # fullmatch: Python's `$` also matches before a final newline, ECMA-262's does not.
    return _KIND_QUERY.fullmatch(text) is not None


class KindConvertor(Convertor[str]):
    regex = KIND_SEGMENT

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("kind", KindConvertor())


def kind_path_schema() -> dict[str, Any]:
    return {"pattern": KIND_PATH_PATTERN, "examples": KINDS_IN_PATHS}
