"""Issue 11: a compose project converted by `dockform convert`'s two halves (Docker Compose
v2 normalising, manifests.compose translating) and applied to a real daemon: it builds, starts
in dependency order, and its containers reach each other by service name.

The project is the corpus's `shop` (tests/compose_corpus/shop), built FROM scratch with the
static busybox. The documents go into the `default` namespace with every object's name
prefixed by the test's unique id, so parallel runs never meet; the service names stay the
network aliases the translation gave each container, which is how peers find each other here.
(With namespaces merged the same documents could go into a namespace named after the test
instead; prefixing keeps this test independent of that.)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import docker
import pytest

from dockform.manifests.compose import documents_yaml, translate
from dockform.sources.compose_normaliser import NormaliserError, find_normaliser
from tests.integration.engine.conftest import BUSYBOX, Daemon, fetch, host_port

pytestmark = pytest.mark.integration

CORPUS_SHOP = Path(__file__).resolve().parents[2] / "compose_corpus" / "shop"
RUNNING = ("web", "api", "worker", "db", "cache")


def prefixed(documents: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The documents in `default`, every object name and image ref prefixed; aliases kept."""
    rename = f"{prefix}-{{}}".format
    out = []
    for document in documents:
        metadata = {"name": rename(document["metadata"]["name"])}
        spec = dict(document["spec"])
        if document["kind"] == "Image":
            spec["ref"] = f"dockform-test/{prefix}-{spec['ref'].replace('/', '-')}"
        if document["kind"] == "Container":
            spec["image"] = f"dockform-test/{prefix}-{spec['image'].replace('/', '-')}"
            spec["networks"] = [
                {**network, "name": rename(network["name"])} for network in spec["networks"]
            ]
            spec["volumes"] = [
                {**mount, "volume": rename(mount["volume"])} if "volume" in mount else mount
                for mount in spec.get("volumes", [])
            ]
            spec["dependsOn"] = [
                {**dependency, "name": rename(dependency["name"])}
                for dependency in spec.get("dependsOn", [])
            ]
        out.append({**document, "metadata": metadata, "spec": spec})
    return out


def exec_in(client: docker.DockerClient, container_id: str, *command: str) -> tuple[int, str]:
    result = client.containers.get(container_id).exec_run(list(command))
    return result.exit_code, result.output.decode(errors="replace")


def test_converted_compose_project_runs_and_services_reach_each_other_by_name(
    daemon: Daemon, tmp_path: Path, unique: str, docker_client: docker.DockerClient
) -> None:
    project_dir = tmp_path / "shop"
    shutil.copytree(CORPUS_SHOP, project_dir)
    shutil.copy(BUSYBOX, project_dir / "app" / "busybox")
    try:
        normaliser = find_normaliser()
    except NormaliserError as error:
        pytest.fail(str(error), pytrace=False)
    normalised = normaliser.config(
        [str(project_dir / "compose.yaml")], cwd=str(project_dir), environ={"PATH": "/usr/bin:/bin"}
    )
    translation = translate(normalised.project)
    assert translation.namespace == "shop"
    assert translation.drops == []
    documents = prefixed(translation.documents, unique)
    # The whole project in one apply, as `dockform convert | dockform apply -f -` does.
    daemon.client.apply(documents_yaml(documents), roots=[str(project_dir)])

    items = {
        service: daemon.wait_phase(
            "Container", f"{unique}-{service}", "Running", ready=True, timeout_s=120
        )
        for service in RUNNING
    }
    ids = {service: item["status"]["observed"]["containerId"] for service, item in items.items()}

    # The image was built with the compose file's target and args (.env's APP_TAG).
    assert fetch(host_port(items["web"])) == "shop web 1.4.2\n"
    # Peers by service name, on the networks they share (front: web, api; back: the rest).
    assert exec_in(docker_client, ids["web"], "wget", "-q", "-O", "-", "http://api:8080/") == (
        0,
        "api-ok\n",
    )
    assert exec_in(docker_client, ids["api"], "wget", "-q", "-O", "-", "http://db:8080/") == (
        0,
        "db-ok\n",
    )
    assert exec_in(docker_client, ids["worker"], "wget", "-q", "-O", "-", "http://cache:8080/") == (
        0,
        "cache-ok\n",
    )
    # web is on front only: db's name does not resolve there.
    code, _ = exec_in(
        docker_client, ids["web"], "timeout", "3", "wget", "-q", "-O", "-", "http://db:8080/"
    )
    assert code != 0
    # env_file reached the container, merged with environment.
    env = docker_client.containers.get(ids["worker"]).attrs["Config"]["Env"]
    assert {"ROLE=worker", "SHOP_CURRENCY=EUR"} <= set(env)
    # The migration ran to completion once, against the shared volume.
    daemon.wait_phase("Container", f"{unique}-migrate", "Succeeded")
    code, output = exec_in(docker_client, ids["db"], "cat", "/data/migrated")
    assert (code, output) == (0, "migrated\n")
