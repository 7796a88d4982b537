"""Compose projects as dockform manifests: a pure translation of the normalised project.

`dockform convert` (cli.convert_cmd) runs Docker Compose v2's `config --format json`, the
Compose Specification's reference implementation, which does interpolation, `.env`,
`env_file`, `extends`, anchors, profiles and multi-file merges and resolves relative paths
against the compose file's directory. What comes out is the input here: `translate` turns it
into manifest documents (plain dicts, as YAML would spell them) and a list of `Drop`s, one for
every field dockform cannot express. Nothing here runs a process or reads a file.

The project name becomes the namespace. Services become Containers named after the service
(their network aliases are the service name, so peers reach each other as under Compose);
`build:` and `image:` become Images (one per distinct ref, `<project>-<service>` for a build
without `image:`, as Compose tags it), networks (Compose's `default` too) become Networks and
named volumes Volumes, keyed by their names in the compose file.

Modules: `translate` (the entry point, the `Translation`), `objects` (networks, volumes,
images), `services` (a service as a Container), `engine` (its resources and Engine settings),
`common` (the drop report, names, the document shape).
"""

from dockform.manifests.compose.common import (
    COMPOSE_NAME_PATTERN,
    ComposeTranslationError,
    Drop,
)
from dockform.manifests.compose.translate import Translation, documents_yaml, translate

__all__ = [
    "COMPOSE_NAME_PATTERN",
    "ComposeTranslationError",
    "Drop",
    "Translation",
    "documents_yaml",
    "translate",
]
