"""api.routes.webhooks on the real app over a SQLite store: signed calls nudge the controller
(a Manager over the fake runtime, never started); unsigned, wrongly signed, oversized calls and
GitSources without spec.webhook are refused; the TCP guard lets these routes alone through
without the bearer token."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.routes.webhooks import WEBHOOK_MAX_BODY_BYTES
from dockform.api.server import TokenAuth
from dockform.controller.manager import Manager
from dockform.controller.webhook_secret import WebhookSecrets
from dockform.manifests.loader import load_text
from dockform.manifests.namespaces import key
from dockform.settings import HostAccessSettings
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from dockform.store.sealing import Sealer
from dockform.store.vault import Vault

SECRET = "hook-secret-value"
BODY = b'{"ref": "refs/heads/main"}'
GIT_SOURCE = """apiVersion: dockform/v1
kind: GitSource
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{url: /r{webhook}}}
"""
SECRET_MANIFEST = """apiVersion: dockform/v1
kind: Secret
metadata: {{name: hook, namespace: {namespace}}}
spec: {{value: {value}}}
"""


def github(body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": "push"}


@pytest.fixture
def vault() -> Vault:
    return Vault.generate()


@pytest.fixture
def sealed_applier(store: Store, manager: Manager, vault: Vault) -> Applier:
    return Applier(store, on_change=manager.desired_changed, sealer=Sealer(vault))


@pytest.fixture
def hook_state(
    store: Store, sealed_applier: Applier, manager: Manager, vault: Vault, tmp_path: Path
) -> AppState:
    settings = HostAccessSettings(roots=[str(tmp_path)])
    return AppState(
        store=store,
        applier=sealed_applier,
        controller=manager,
        webhook_secrets=WebhookSecrets(store, vault, settings),
    )


@pytest.fixture
def hooks(hook_state: AppState) -> Iterator[TestClient]:
    # Behind the TCP guard: these routes must answer without the bearer token.
    with TestClient(TokenAuth(create_app(hook_state), "bearer-token")) as client:
        yield client


def apply(applier: Applier, text: str) -> None:
    applier.apply(ApplyRequest(manifests=load_text(text)))


def gitsource(name: str = "prod", namespace: str = "default", webhook: str = "") -> str:
    return GIT_SOURCE.format(name=name, namespace=namespace, webhook=webhook)


def with_secret_ref(applier: Applier, namespace: str = "default") -> None:
    apply(applier, SECRET_MANIFEST.format(namespace=namespace, value=SECRET))
    apply(applier, gitsource(namespace=namespace, webhook=", webhook: {secretRef: {name: hook}}"))


def test_a_signed_call_without_the_bearer_token_requests_a_sync(
    hooks: TestClient, sealed_applier: Applier, manager: Manager
) -> None:
    with_secret_ref(sealed_applier)

    response = hooks.post("/v1/gitsources/prod/webhook", content=BODY, headers=github())

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "sync requested"
    assert manager.context.nudges.take(key("GitSource", "prod"))
    # Any other route still wants the token.
    assert hooks.post("/v1/gitsources/prod/sync").status_code == 401
    assert hooks.get("/v1/gitsources/prod/webhook").status_code == 405  # POST alone
    assert hooks.get("/v1/gitsources/prod").status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Gitea-Signature": hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()},
        {"X-Gitlab-Token": SECRET},
    ],
)
def test_gitea_and_gitlab_calls_in_a_namespace(
    hooks: TestClient, sealed_applier: Applier, manager: Manager, headers: dict[str, str]
) -> None:
    with_secret_ref(sealed_applier, namespace="shop")

    response = hooks.post(
        "/v1/namespaces/shop/gitsources/prod/webhook", content=BODY, headers=headers
    )

    assert response.status_code == 202, response.text
    assert manager.context.nudges.take(key("GitSource", "prod", "shop"))


def test_unsigned_and_wrongly_signed_calls_are_401_with_one_warning_event(
    hooks: TestClient, sealed_applier: Applier, manager: Manager, store: Store
) -> None:
    with_secret_ref(sealed_applier)

    unsigned = hooks.post("/v1/gitsources/prod/webhook", content=BODY)
    wrong = hooks.post("/v1/gitsources/prod/webhook", content=BODY, headers=github(secret="x"))
    other_body = hooks.post("/v1/gitsources/prod/webhook", content=BODY + b" ", headers=github())

    assert [unsigned.status_code, wrong.status_code, other_body.status_code] == [401] * 3
    assert "is not signed" in unsigned.json()["error"]
    assert "GitSource/prod" in wrong.json()["error"]
    assert "does not match" in wrong.json()["error"]
    assert not manager.context.nudges.take(key("GitSource", "prod"))
    events = [e for e in store.list_events() if e.reason == "WebhookRefused"]
    assert len(events) == 1 and events[0].type == "Warning"  # throttled
    assert SECRET not in events[0].message


def test_a_gitsource_without_spec_webhook_refuses_every_call(
    hooks: TestClient, sealed_applier: Applier
) -> None:
    apply(sealed_applier, gitsource())

    response = hooks.post("/v1/gitsources/prod/webhook", content=BODY, headers=github())

    assert response.status_code == 403
    assert "set spec.webhook" in response.json()["error"]
    assert hooks.post("/v1/gitsources/nope/webhook", content=BODY).status_code == 404


def test_a_missing_secret_is_503_naming_it(hooks: TestClient, sealed_applier: Applier) -> None:
    apply(sealed_applier, gitsource(webhook=", webhook: {secretRef: {name: hook}}"))

    response = hooks.post("/v1/gitsources/prod/webhook", content=BODY, headers=github())

    assert response.status_code == 503
    assert "Secret/hook, which does not exist" in response.json()["error"]


def test_a_secret_file_is_read_at_each_call(
    hooks: TestClient, sealed_applier: Applier, tmp_path: Path, manager: Manager
) -> None:
    secret_file = tmp_path / "hook.secret"
    secret_file.write_text(SECRET + "\n")  # as `echo` writes it
    apply(sealed_applier, gitsource(webhook=f", webhook: {{secretFile: {secret_file}}}"))

    assert (
        hooks.post("/v1/gitsources/prod/webhook", content=BODY, headers=github()).status_code == 202
    )
    secret_file.write_text("rotated")
    refused = hooks.post("/v1/gitsources/prod/webhook", content=BODY, headers=github())
    assert refused.status_code == 401
    rotated = hooks.post(
        "/v1/gitsources/prod/webhook", content=BODY, headers=github(secret="rotated")
    )
    assert rotated.status_code == 202


def test_an_oversized_body_is_413(hooks: TestClient, sealed_applier: Applier) -> None:
    with_secret_ref(sealed_applier)
    body = b"x" * (WEBHOOK_MAX_BODY_BYTES + 1)

    response = hooks.post("/v1/gitsources/prod/webhook", content=body, headers=github(body))

    assert response.status_code == 413
    assert "at most" in response.json()["error"]


def test_a_signed_ping_is_answered_without_a_sync(
    hooks: TestClient, sealed_applier: Applier, manager: Manager
) -> None:
    with_secret_ref(sealed_applier)
    headers = {**github(), "X-GitHub-Event": "ping"}

    response = hooks.post("/v1/gitsources/prod/webhook", content=BODY, headers=headers)

    assert response.status_code == 200
    assert response.json() == {"kind": "GitSource", "name": "prod", "status": "pong"}
    assert not manager.context.nudges.take(key("GitSource", "prod"))


def test_a_suspended_gitsource_is_409(hooks: TestClient, sealed_applier: Applier) -> None:
    apply(sealed_applier, SECRET_MANIFEST.format(namespace="default", value=SECRET))
    apply(sealed_applier, gitsource(webhook=", suspend: true, webhook: {secretRef: {name: hook}}"))

    response = hooks.post("/v1/gitsources/prod/webhook", content=BODY, headers=github())

    assert response.status_code == 409 and "suspended" in response.json()["error"]


def test_openapi_states_the_webhooks_need_no_token(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/gitsources/{name}/webhook",
        "/v1/namespaces/{namespace}/gitsources/{name}/webhook",
    ):
        operation = paths[path]["post"]
        assert operation["security"] == []
        assert {"202", "401", "403", "413"} <= set(operation["responses"])
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "secretFile" in schemas["manifest.GitSourceWebhook"]["properties"]
    assert "webhook" in schemas["manifest.GitSourceSpec"]["properties"]
