"""Where the dashboard lives: pages at `/` and under `/ui/`, the API under `/v1`.

`api.server.TokenAuth` lets the login page and the static files through without credentials
and sends a browser that asks for a page without them to the login form.
"""

from __future__ import annotations

from dockform.api.deps import needs_no_token

LOGIN_PATH = "/ui/login"
STATIC_PREFIX = "/ui/static/"


def is_public_path(path: str) -> bool:
    return needs_no_token(path) or path == LOGIN_PATH or path.startswith(STATIC_PREFIX)


def is_page_path(path: str) -> bool:
    return path == "/" or path.startswith("/ui/")
