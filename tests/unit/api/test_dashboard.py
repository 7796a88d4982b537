"""The dashboard without a browser: pages and fragments render from the store, the login turns
the token into a cookie the API accepts, CSRF and cross-site writes are refused, and pages carry
a strict Content-Security-Policy. The browser tests are in tests/integration/dashboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockform.api.app import create_app
from dockform.api.dashboard import session
from dockform.api.dashboard.guard import CONTENT_SECURITY_POLICY
from dockform.api.dashboard.login import safe_next
from dockform.api.dashboard.rows import REPAIRING, is_repairing, to_row
from dockform.api.deps import AppState
from dockform.api.server import LocalListener, TokenAuth
from dockform.api.token import BearerToken
from dockform.store.apply import Applier
from dockform.store.sealing import Sealer
from dockform.store.types import Event, Resource, ResourceStatus
from dockform.store.vault import Vault
from tests.unit.api.conftest import MakeDoc

TOKEN = "s3cret-" + "x" * 40


@pytest.fixture
def tcp(state: AppState) -> TestClient:
    state.token = BearerToken(TOKEN)
    return TestClient(TokenAuth(create_app(state), state.token), follow_redirects=False)


@pytest.fixture
def local(state: AppState) -> TestClient:
    return TestClient(LocalListener(create_app(state)), follow_redirects=False)


def _apply(client: TestClient, text: str) -> None:
    response = client.post("/v1/apply", content=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 200, response.text


def _login(client: TestClient) -> str:
    response = client.post(
        "/ui/login",
        content=f"token={TOKEN}&next=/ui/sources",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sources"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    page = client.get("/")
    assert page.status_code == 200
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert found is not None
    return found.group(1)


def test_the_socket_serves_the_overview_without_login(
    local: TestClient, container_doc: MakeDoc
) -> None:
    _apply(local, container_doc("web", labels="{app: shop}"))
    page = local.get("/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert 'data-key="default/Container/web"' in page.text
    assert 'data-labels="app=shop"' in page.text
    assert "daemon: single (leads)" in page.text
    assert '<meta name="csrf-token" content="">' in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    assert local.get("/ui/login").status_code == 303


def test_pages_and_fragments(local: TestClient, container_doc: MakeDoc) -> None:
    _apply(local, container_doc("web"))
    rows = local.get("/ui/rows", params={"key": ["default/Container/web", "default/Container/x"]})
    assert 'data-key="default/Container/web"' in rows.text
    assert '<tr data-key="default/Container/x" data-gone="1">' in rows.text
    assert "default" in local.get("/ui/summary").text
    obj = local.get("/ui/objects/default/containers/web")
    assert obj.status_code == 200
    assert "image: busybox" in obj.text
    assert 'data-logs="/v1/namespaces/default/containers/web/logs"' in obj.text
    assert "nothing to compare yet" in obj.text
    _apply(local, container_doc("web", "  command: [sleep, '9']\n"))
    assert 'id="rev-from"' in local.get("/ui/objects/default/containers/web").text
    assert local.get("/ui/objects/default/containers/web/status").status_code == 200
    assert local.get("/ui/objects/default/containers/nope").status_code == 404
    assert local.get("/ui/objects/default/gadgets/web").status_code == 404
    version = local.get("/ui/version").json()["version"]
    all_rows = local.get("/ui/rows")
    assert all_rows.headers["x-dockform-data-version"] == str(version)
    _apply(local, container_doc("api"))
    assert local.get("/ui/version").json()["version"] > version
    assert local.get("/ui/sources").status_code == 200
    assert local.get("/ui/apply").status_code == 200
    assert local.get("/ui/static/dashboard.js").status_code == 200
    assert "/ui/" not in str(local.get("/openapi.json").json()["paths"])


def test_tcp_needs_a_login(tcp: TestClient) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    page = tcp.get("/ui/sources", headers=html)
    assert page.status_code == 303
    assert page.headers["location"] == "/ui/login?next=%2Fui%2Fsources"
    assert tcp.get("/", headers=html).headers["location"] == "/ui/login"
    assert tcp.get("/ui/rows").status_code == 401  # a script's fetch: no redirect
    assert tcp.get("/ui/login").status_code == 200
    assert tcp.get("/ui/static/dashboard.css").status_code == 200
    assert tcp.get("/v1/containers").status_code == 401
    wrong = tcp.post(
        "/ui/login",
        content="token=wrong",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert wrong.status_code == 401
    assert "set-cookie" not in wrong.headers


def test_the_cookie_reads_and_writes_with_the_csrf_token(
    tcp: TestClient, container_doc: MakeDoc
) -> None:
    csrf = _login(tcp)
    assert tcp.get("/v1/containers").status_code == 200
    yaml_type = {"Content-Type": "application/yaml"}
    body = container_doc("web")
    refused = tcp.post("/v1/apply", content=body, headers=yaml_type)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    forged = tcp.post("/v1/apply", content=body, headers={**yaml_type, "X-CSRF-Token": "nope"})
    assert forged.status_code == 403
    foreign = tcp.post(
        "/v1/apply",
        content=body,
        headers={**yaml_type, "X-CSRF-Token": csrf, "Origin": "http://evil.example"},
    )
    assert foreign.status_code == 403
    assert "cross-site" in foreign.json()["error"]
    cross = tcp.post(
        "/v1/apply",
        content=body,
        headers={**yaml_type, "X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-site"},
    )
    assert cross.status_code == 403
    assert tcp.get("/v1/containers").json()["items"] == []
    ok = tcp.post(
        "/v1/apply",
        content=body,
        headers={**yaml_type, "X-CSRF-Token": csrf, "Origin": "http://testserver"},
    )
    assert ok.status_code == 200, ok.text


def test_a_session_is_bound_to_its_token_and_expires() -> None:
    cookie = session.issue("a" * 43)
    assert session.check(cookie, "a" * 43) is not None
    assert session.check(cookie, "b" * 43) is None
    assert session.check(cookie + "x", "a" * 43) is None
    old = session.issue("a" * 43, now=datetime.now(UTC).timestamp() - 13 * 3600)
    assert session.check(old, "a" * 43) is None
    assert session.cookie_value(b"other=1; dockform_session=" + cookie.encode()) == cookie


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/ui/sources", "/ui/sources"), ("//evil.example", "/"), ("https://x", "/"), (None, "/")],
)
def test_login_redirects_only_within_the_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def _resource(created: datetime, phase: str = "Running") -> Resource:
    return Resource(
        kind="Container",
        name="web",
        spec={"image": "busybox"},
        spec_hash="h",
        created_at=created,
        updated_at=created,
        status=ResourceStatus(phase=phase, observed={"ports": ["127.0.0.1:8080->80/tcp"]}),
    )


def _event(reason: str, when: datetime) -> Event:
    return Event(
        id=1,
        type="Normal",
        reason=reason,
        message="created container:web: not found",
        kind="Container",
        name="web",
        first_time=when,
        last_time=when,
    )


def test_a_converged_container_put_back_is_repairing() -> None:
    now = datetime.now(UTC)
    old = _resource(now - timedelta(minutes=5))
    assert is_repairing(old, [_event("Created", now - timedelta(seconds=1))], now)
    assert not is_repairing(old, [_event("Created", now - timedelta(seconds=10))], now)
    assert not is_repairing(old, [_event("Running", now)], now)
    fresh = _resource(now - timedelta(seconds=1))
    assert not is_repairing(fresh, [_event("Created", now)], now)
    row = to_row(old, [_event("Started", now)], now)
    assert (row.phase, row.ports, row.age, row.failing) == (
        REPAIRING,
        "127.0.0.1:8080->80/tcp",
        "5m",
        False,
    )
    assert to_row(_resource(now, "Failed"), [], now).failing


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
    ],
)
def test_the_socket_refuses_cross_site_browser_writes(
    local: TestClient, container_doc: MakeDoc, headers: dict[str, str]
) -> None:
    response = local.post(
        "/v1/apply",
        content=container_doc("web"),
        headers={"Content-Type": "application/yaml", **headers},
    )
    assert response.status_code == 403
    assert "cross-site" in response.json()["error"]
    assert local.get("/v1/containers").json()["items"] == []
    same = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    assert local.get("/v1/containers", headers=headers).status_code == 200  # reads pass
    assert (
        local.post(
            "/v1/apply",
            content=container_doc("web"),
            headers={"Content-Type": "application/yaml", **same},
        ).status_code
        == 200
    )


def test_a_secret_value_shows_on_no_page(state: AppState) -> None:
    state.applier = Applier(
        state.store, on_change=lambda keys: None, sealer=Sealer(Vault.generate())
    )
    local = TestClient(LocalListener(create_app(state)))
    secret = "apiVersion: dockform/v1\nkind: Secret\nmetadata: {name: db}\nspec: {value: %s}\n"
    _apply(local, secret % "hunter2-first")
    _apply(local, secret % "hunter2-second")
    page = local.get("/ui/objects/default/secrets/db")
    assert page.status_code == 200
    assert 'id="rev-from"' in page.text
    assert "hunter2" not in page.text
    assert "sealed" not in page.text
    assert "hunter2" not in local.get("/").text


def test_rotating_the_token_logs_the_browser_out(state: AppState, tmp_path: Path) -> None:
    state.token = BearerToken.load_or_create(tmp_path / "token")
    client = TestClient(TokenAuth(create_app(state), state.token), follow_redirects=False)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    login = client.post("/ui/login", content=f"token={state.token.value}", headers=form)
    assert login.status_code == 303
    assert client.get("/v1/containers").status_code == 200
    state.token.rotate()
    assert client.get("/v1/containers").status_code == 401
    assert client.get("/", headers={"Accept": "text/html"}).headers["location"] == "/ui/login"
