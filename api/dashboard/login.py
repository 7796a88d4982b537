"""`/ui/login` and `/ui/logout`: the token, typed once into a form, becomes a session cookie.

Over TCP only; on the unix socket every request is already trusted, so the login page sends
the browser on. The cookie is HttpOnly, SameSite=Strict, Secure under TLS, and tied to the
token (api.dashboard.session): rotating the token logs every browser out.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dockform.api.dashboard import session
from dockform.api.dashboard.paths import LOGIN_PATH
from dockform.api.dashboard.views import page
from dockform.api.deps import StateDep
from dockform.api.token import LOCAL_LISTENER_KEY

router = APIRouter(include_in_schema=False)

_MAX_FORM_BYTES = 4096
NextQuery = Annotated[str | None, Query(alias="next", max_length=1000)]


def safe_next(target: str | None) -> str:
    """Only a path of this site: never `//other.host` or `https://...` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get(LOGIN_PATH, response_class=HTMLResponse)
async def login_form(request: Request, next_path: NextQuery = None) -> Response:
    if request.scope.get(LOCAL_LISTENER_KEY):
        return RedirectResponse(safe_next(next_path), status_code=303)
    return page(request, "login.html", {"next": safe_next(next_path), "page": "login"})


@router.post(LOGIN_PATH, response_class=HTMLResponse)
async def login(request: Request, state: StateDep) -> Response:
    if request.scope.get(LOCAL_LISTENER_KEY):
        return RedirectResponse("/", status_code=303)
    body = (await request.body())[:_MAX_FORM_BYTES].decode("utf-8", "replace")
    form = parse_qs(body)
    token = (form.get("token") or [""])[0].strip()
    target = safe_next((form.get("next") or ["/"])[0])
    if state.token is None or not token or not state.token.matches(f"Bearer {token}".encode()):
        context = {"next": target, "error": "wrong token", "page": "login"}
        return page(request, "login.html", context, status=401)
    response = RedirectResponse(target, status_code=303)
    secure = request.scope.get("scheme") == "https"
    response.headers["set-cookie"] = session.set_cookie_header(
        session.issue(state.token.value), secure
    )
    return response


@router.post("/ui/logout")
async def logout() -> Response:
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.headers["set-cookie"] = session.clear_cookie_header()
    return response
