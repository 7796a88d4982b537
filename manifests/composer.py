"""Bounded YAML composition: text in, one node tree per document out, with line positions.

`manifests.loader` needs two things that PyYAML's own `compose_all` does not give together:
limits that make hostile input cheap to refuse (document count, nesting depth, alias expansion
as in the "billion laughs"), and nodes that keep their start marks so a validation error can
name a line. This module reads the parser's event stream (libyaml when present) and builds
`yaml.nodes` trees with an explicit stack, so deep nesting cannot exhaust the Python stack, and
it counts every node as if aliases were expanded, which is what later stages pay for.

Tags resolve as with `yaml.SafeLoader` (the YAML core schema); `construct` builds plain Python
values with `SafeConstructor`, so python/* tags are refused there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol, cast

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

# More documents in one file or body are refused: the fault suite's hostile case holds the
# daemon to answers under 5 s and RSS growth under 50 MiB, which 10 000 documents broke
# (8.1 s, +98 MiB); thousands of objects go in bodies of up to 1000.
MAX_DOCUMENTS = 1000
MAX_DEPTH = 64
# Counted with aliases expanded, at roughly 5 µs per node for composing and constructing. A
# real manifest has tens to hundreds of nodes, the largest the models accept about 15 000.
MAX_DOCUMENT_NODES = 20_000
MAX_FILE_NODES = 250_000

_FILE_TOO_BIG = f"the file has more than {MAX_FILE_NODES} YAML nodes (aliases counted expanded)"
_SEQUENCE_TAG = "tag:yaml.org,2002:seq"
_MAPPING_TAG = "tag:yaml.org,2002:map"
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ComposeError(Exception):
    """A problem in the YAML itself; `fatal` means the rest of the file cannot be read."""

    def __init__(self, message: str, line: int | None, *, fatal: bool) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.fatal = fatal


@dataclass(frozen=True)
class ComposedDocument:
    """One YAML document: its 1-based index in the file and either its root node or an error."""

    index: int
    root: Node | None
    error: ComposeError | None = None


class _EventSource(Protocol):
    def get_event(self) -> Event | None: ...
    def dispose(self) -> None: ...


@dataclass
class _Frame:
    node: CollectionNode
    anchor: str | None
    size: int = 1
    height: int = 1
    pending_key: Node | None = None
    seen_keys: dict[tuple[str, str], int] = field(default_factory=dict)


def _marks(event: Event) -> tuple[Mark | None, Mark | None]:
    # libyaml's events carry its own Mark type, which has the same fields.
    return cast("Mark | None", event.start_mark), cast("Mark | None", event.end_mark)


def _line(event: Event) -> int | None:
    mark = event.start_mark
    return None if mark is None else mark.line + 1


def _node_line(node: Node) -> int | None:
    return None if node.start_mark is None else node.start_mark.line + 1


def _syntax_error(error: yaml.YAMLError) -> ComposeError:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        message = f"invalid YAML: {problem}"
        if error.context and error.problem and error.context_mark is not None:
            message += f" ({error.context} at line {error.context_mark.line + 1})"
        if mark is not None:
            message += f" (column {mark.column + 1})"
        return ComposeError(message, None if mark is None else mark.line + 1, fatal=True)
    return ComposeError(f"invalid YAML: {error}", None, fatal=True)


class _Composer:
    def __init__(self, events: _EventSource) -> None:
        self._events = events
        # Resolver.resolve is untyped in the stubs: plain scalars become int/bool/null/...
        self._resolve = cast(
            "Callable[[str, tuple[bool, bool]], str]",
            partial(Resolver().resolve, ScalarNode),
        )
        self._total_nodes = 0

    def _next(self) -> Event:
        event = self._events.get_event()
        if event is None:  # the parser ends with StreamEndEvent; None only after it
            raise ComposeError("invalid YAML: unexpected end of stream", None, fatal=True)
        return event

    def documents(self) -> Iterator[ComposedDocument]:
        index = 0
        inside = False
        while True:
            try:
                event = self._next()
                if isinstance(event, StreamEndEvent):
                    return
                if not isinstance(event, DocumentStartEvent):
                    continue
                index += 1
                inside = True
                if index > MAX_DOCUMENTS:
                    raise ComposeError(
                        f"more than {MAX_DOCUMENTS} YAML documents in one file",
                        _line(event),
                        fatal=True,
                    )
                try:
                    root = self._document()
                except ComposeError as error:
                    if error.fatal:
                        raise
                    yield ComposedDocument(index, None, error)
                    self._skip_document()
                else:
                    yield ComposedDocument(index, root)
                inside = False
            except yaml.YAMLError as error:
                # A parser error between documents belongs to the next one.
                yield ComposedDocument(index if inside else index + 1, None, _syntax_error(error))
                return
            except ComposeError as error:
                yield ComposedDocument(max(index, 1), None, error)
                return

    def _skip_document(self) -> None:
        # Skipped events count too, so a huge broken document cannot cost more than a good one.
        while not isinstance(self._next(), DocumentEndEvent):
            self._total_nodes += 1
            if self._total_nodes > MAX_FILE_NODES:
                raise ComposeError(_FILE_TOO_BIG, None, fatal=True)

    def _document(self) -> Node:
        anchors: dict[str, tuple[Node, int, int] | None] = {}
        stack: list[_Frame] = []
        while True:
            event = self._next()
            if isinstance(event, DocumentEndEvent):
                raise ComposeError(
                    "invalid YAML: document without content", _line(event), fatal=True
                )
            line = _line(event)
            if isinstance(event, AliasEvent):
                node, size, height = self._alias(event, anchors)
            elif isinstance(event, ScalarEvent):
                node, size, height = self._scalar(event), 1, 1
                self._anchor(event.anchor, event, anchors, (node, 1, 1))
            elif isinstance(event, CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise ComposeError(
                        f"nesting is deeper than {MAX_DEPTH} levels", _line(event), fatal=False
                    )
                self._anchor(event.anchor, event, anchors, None)
                stack.append(_Frame(self._collection(event), event.anchor))
                continue
            elif isinstance(event, SequenceEndEvent | MappingEndEvent):
                frame = stack.pop()
                frame.node.end_mark = _marks(event)[1]
                node, size, height = frame.node, frame.size, frame.height
                line = _node_line(node)
                if frame.anchor is not None:
                    anchors[frame.anchor] = (node, size, height)
            else:
                raise ComposeError(
                    f"invalid YAML: unexpected {type(event).__name__}", _line(event), fatal=True
                )
            if not stack:
                self._count(size, node)
                if not isinstance(self._next(), DocumentEndEvent):
                    raise ComposeError("invalid YAML: expected end of document", None, fatal=True)
                return node
            self._attach(stack[-1], node, size, height, line)

    def _count(self, size: int, node: Node) -> None:
        self._total_nodes += size
        if self._total_nodes > MAX_FILE_NODES:
            raise ComposeError(_FILE_TOO_BIG, _node_line(node), fatal=True)

    def _scalar(self, event: ScalarEvent) -> ScalarNode:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolve(event.value, event.implicit)
        start, end = _marks(event)
        return ScalarNode(tag, event.value, start, end, style=event.style)

    def _collection(self, event: CollectionStartEvent) -> CollectionNode:
        tag = event.tag
        start, _end = _marks(event)
        if isinstance(event, SequenceStartEvent):
            if tag is None or tag == "!":
                tag = _SEQUENCE_TAG
            return SequenceNode(tag, [], start, None, flow_style=event.flow_style)
        if not isinstance(event, MappingStartEvent):
            raise ComposeError("invalid YAML: unknown collection", _line(event), fatal=True)
        if tag is None or tag == "!":
            tag = _MAPPING_TAG
        return MappingNode(tag, [], start, None, flow_style=event.flow_style)

    @staticmethod
    def _anchor(
        anchor: str | None,
        event: Event,
        anchors: dict[str, tuple[Node, int, int] | None],
        value: tuple[Node, int, int] | None,
    ) -> None:
        if anchor is None:
            return
        if anchor in anchors:
            raise ComposeError(f"duplicate anchor &{anchor}", _line(event), fatal=False)
        anchors[anchor] = value

    @staticmethod
    def _alias(
        event: AliasEvent, anchors: dict[str, tuple[Node, int, int] | None]
    ) -> tuple[Node, int, int]:
        anchor = event.anchor or ""
        if anchor not in anchors:
            raise ComposeError(f"alias *{anchor} refers to no anchor", _line(event), fatal=False)
        target = anchors[anchor]
        if target is None:
            raise ComposeError(
                f"alias *{anchor} refers to a node that contains it", _line(event), fatal=False
            )
        return target

    @staticmethod
    def _attach(frame: _Frame, node: Node, size: int, height: int, line: int | None) -> None:
        """Add `node` (found at `line`: an alias's own line, not its anchor's) to `frame`."""
        frame.size += size
        frame.height = max(frame.height, height + 1)
        if frame.size > MAX_DOCUMENT_NODES:
            raise ComposeError(
                f"the document has more than {MAX_DOCUMENT_NODES} YAML nodes"
                " (aliases counted expanded)",
                line,
                fatal=False,
            )
        if frame.height > MAX_DEPTH:
            raise ComposeError(
                f"nesting is deeper than {MAX_DEPTH} levels (through aliases)", line, fatal=False
            )
        if isinstance(frame.node, SequenceNode):
            frame.node.value.append(node)
            return
        if frame.pending_key is None:
            frame.pending_key = node
            if isinstance(node, ScalarNode) and line is not None:
                key = (node.tag, node.value)
                if key in frame.seen_keys:
                    first = frame.seen_keys[key]
                    raise ComposeError(
                        f"duplicate key {node.value!r} (first at line {first})", line, fatal=False
                    )
                frame.seen_keys[key] = line
            return
        frame.node.value.append((frame.pending_key, node))
        frame.pending_key = None


def compose_documents(text: str) -> Iterator[ComposedDocument]:
    """Every document of `text` in order; after a fatal error nothing more is yielded."""
    events: _EventSource = _Loader(text)
    try:
        yield from _Composer(events).documents()
    finally:
        events.dispose()


def construct(root: Node) -> object:
    """The plain Python value of a composed document (SafeLoader semantics).

    Raises yaml.YAMLError for unknown tags and bad merges, ValueError for scalars Python refuses
    (integers over the digit limit, impossible dates).
    """
    return SafeConstructor().construct_document(root)
