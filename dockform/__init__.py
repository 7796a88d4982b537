"""dockform: a desired-state engine for Docker hosts.

The installed distribution is this one package. In the repository each layer keeps its own
top-level folder (`manifests/`, `store/`, `runtime/`, `controller/`, `sources/`, `api/`, `cli/`;
see DESIGN.md) and `dockform/` links them in as subpackages, with the migrations of
`alembic/` as `dockform/migrations`; a wheel carries them as plain folders.
"""

__version__ = "0.1.0"
