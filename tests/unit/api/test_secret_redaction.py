"""A Secret's value never leaves the daemon: apply one with a recognisable value, then look
for it in every answer (apply, dry run, diff, get, list, delete, events, describe-like reads,
the OpenAPI document) and in the log."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.manifests.models import redacted
from dockform.store.apply import Applier
from dockform.store.sealing import Sealer
from dockform.store.vault import Vault

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

VALUE = "Tr0ub4dor-REDACT-5d2c"
SECRET = (
    f"apiVersion: dockform/v1\nkind: Secret\nmetadata: {{name: pw}}\nspec: {{value: {VALUE}}}\n"
)
WEB = (
    "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\nspec:\n"
    "  image: busybox\n  env: {PW: {secret: pw}}\n  secrets: [{name: pw}]\n"
)


def test_the_value_appears_in_no_answer_and_no_log_line(
    state: AppState, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    applier = Applier(state.store, on_change=lambda keys: None, sealer=Sealer(Vault.generate()))
    state.applier = applier
    answers: list[str] = []
    with TestClient(create_app(state)) as client:
        for path in ("/v1/apply?dryRun=true", "/v1/diff", "/v1/apply", "/v1/diff"):
            response = client.post(path, content=SECRET + "---\n" + WEB)
            assert response.status_code == 200, response.text
            answers.append(response.text)
        changed = SECRET.replace(VALUE, VALUE + "-2")
        answers.append(client.post("/v1/diff", content=changed).text)
        shop = (SECRET + "---\n" + WEB).replace("metadata: {", "metadata: {namespace: shop, ")
        for path in ("/v1/apply?dryRun=true", "/v1/apply", "/v1/diff"):
            response = client.post(path, content=shop)
            assert response.status_code == 200, response.text
            answers.append(response.text)
        for path in (
            "/v1/secrets",
            "/v1/secrets/pw",
            "/v1/containers/web",
            "/v1/events",
            "/v1/openapi.json",
            "/v1/namespaces/shop/secrets",
            "/v1/namespaces/shop/secrets/pw",
            "/v1/secrets?allNamespaces=true",
            "/v1/namespaces/shop/events",
            "/v1/namespaces",
        ):
            answers.append(client.get(path).text)
        stored = client.get("/v1/secrets/pw").json()
        assert client.get("/v1/namespaces/shop/secrets/pw").json()["namespace"] == "shop"
        answers.append(client.delete("/v1/namespaces/shop").text)
        answers.append(client.delete("/v1/secrets/pw").text)
    digest = stored["spec"]["sha256"]
    assert stored["spec"] == {"value": redacted(digest), "sha256": digest}
    for answer in answers:
        assert VALUE not in answer
        assert "v1:" not in answer or "sealed" not in answer
    assert VALUE not in caplog.text


def test_a_secret_file_is_a_host_path_under_the_allowlist(state: AppState, tmp_path: Path) -> None:
    state.applier = Applier(
        state.store, on_change=lambda keys: None, sealer=Sealer(Vault.generate())
    )
    state.host_path_roots = [str(tmp_path)]
    (tmp_path / "pw.txt").write_text("inside")
    doc = "apiVersion: dockform/v1\nkind: Secret\nmetadata: {{name: {}}}\nspec: {{file: {}}}\n"
    with TestClient(create_app(state)) as client:
        inside = client.post("/v1/apply", content=doc.format("a", tmp_path / "pw.txt"))
        assert inside.status_code == 200, inside.text
        outside = client.post("/v1/apply", content=doc.format("b", "/etc/hostname"))
        assert outside.status_code == 403
        assert outside.json()["issues"][0]["path"] == "spec.file"
        missing = client.post("/v1/apply", content=doc.format("c", tmp_path / "nope.txt"))
        assert missing.status_code == 409
        (issue,) = missing.json()["issues"]
        assert (issue["kind"], issue["name"], issue["path"], issue["line"]) == (
            "Secret",
            "c",
            "spec.file",
            1,
        )
        assert "does not exist on the daemon's host" in issue["message"]
        relative = client.post("/v1/apply", content=doc.format("d", "pw.txt"))
        assert relative.status_code == 422 and "relative" in relative.text
