"""Command-line values without pydantic: typer 0.29 coerces every parameter, even `--help`,
through a pydantic TypeAdapter, which costs each command pydantic's import (about 0.1 s on
this 2-core host, bench/cli_speed) before it does anything.

`install` puts a coercion in front of typer's own for the plain cases the dockform commands
have: a `str`, a `bool`, a `list[str]` (each optional), an `int` written in digits within its
bounds. They come out exactly as typer's adapters make them. Everything else, and every value
typer would refuse (so its error messages stay its own), goes to typer's coercion, built on
first use. Without the typer internals this relies on, `install` does nothing and typer
works as it always does.
"""

from __future__ import annotations

import re
import types
from typing import Any, Union, get_args, get_origin

_DIGITS = re.compile(r"-?[0-9]{1,18}")
_SIMPLE = (str, bool, int)


def install() -> None:
    try:
        from typer import _coercion, core
    except ImportError:
        return
    original: Any = getattr(core, "build_runtime_param", None)
    runtime_param: Any = getattr(_coercion, "RuntimeParam", None)
    if original is None or runtime_param is None or getattr(original, "_dockform", False):
        return

    class PlainRuntimeParam(runtime_param):  # type: ignore[misc]
        """typer's RuntimeParam (its `coerce` handles None and multiple values) with a
        coercion of its own for plain values."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            plain = _plain(self.annotation, self.parameter_info, value)
            if plain is not _REFUSED:
                return plain
            slow = getattr(self, "_typer_param", None)
            if slow is None:
                slow = original(self._descriptor)
                object.__setattr__(self, "_typer_param", slow)
            return slow._coerce_value(value, param=param, ctx=ctx)

    def build_runtime_param(descriptor: Any) -> Any:
        if not _is_plain(descriptor):
            return original(descriptor)
        built = PlainRuntimeParam(
            parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
        )
        object.__setattr__(built, "_descriptor", descriptor)
        return built

    build_runtime_param._dockform = True  # type: ignore[attr-defined]
    setattr(core, "build_runtime_param", build_runtime_param)  # noqa: B010 - not exported


_REFUSED = object()


def _leaf(annotation: Any) -> Any:
    """`X | None` -> X; anything else as it is."""
    if get_origin(annotation) in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(options) == 1:
            return options[0]
    return annotation


def _is_plain(descriptor: Any) -> bool:
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or getattr(info, "parser", None) is not None:
        return False
    if getattr(info, "click_type", None) is not None or getattr(info, "clamp", False):
        return False
    annotation = _leaf(descriptor.annotation)
    if get_origin(annotation) is list:
        args = get_args(annotation)
        return len(args) == 1 and args[0] is str
    return annotation in _SIMPLE


def _plain(annotation: Any, info: Any, value: Any) -> Any:
    """`value` as typer's adapter would make it, or _REFUSED for typer to decide."""
    annotation = _leaf(annotation)
    if get_origin(annotation) is list:
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            return list(value)
        return _REFUSED
    if annotation is str:
        return value if isinstance(value, str) else _REFUSED
    if annotation is bool:
        return value if isinstance(value, bool) else _REFUSED
    if annotation is int:
        if isinstance(value, str) and _DIGITS.fullmatch(value):
            number = int(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            return _REFUSED
        low, high = getattr(info, "min", None), getattr(info, "max", None)
        if (low is not None and number < low) or (high is not None and number > high):
            return _REFUSED
        return number
    return _REFUSED
