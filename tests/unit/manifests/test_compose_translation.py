"""The compose translation (manifests.compose) on hand-written normalised projects, shaped as
Docker Compose v2's `config --format json` prints them: no binary needed."""

from __future__ import annotations

from typing import Any

import pytest

from dockform.manifests.compose import ComposeTranslationError, Translation, translate
from tests.compose_support import load_documents, loadable


def project(**services: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "shop",
        "networks": {"default": {"name": "shop_default", "ipam": {}}},
        "services": {
            name: {"command": None, "entrypoint": None, "networks": {"default": None}, **spec}
            for name, spec in services.items()
        },
    }


def by_kind_name(translation: Translation) -> dict[tuple[str, str], dict[str, Any]]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in translation.documents}


def container(translation: Translation, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = by_kind_name(translation)[("Container", name)]["spec"]
    return spec


def drops(translation: Translation) -> list[str]:
    return [str(drop) for drop in translation.drops]


def test_a_service_becomes_an_image_and_a_container_in_the_project_namespace() -> None:
    result = translate(project(web={"image": "nginx:1.27"}))
    assert result.namespace == "shop"
    assert [(doc["kind"], doc["metadata"]) for doc in result.documents] == [
        ("Network", {"name": "default", "namespace": "shop"}),
        ("Image", {"name": "nginx-1-27", "namespace": "shop"}),
        ("Container", {"name": "web", "namespace": "shop"}),
    ]
    assert by_kind_name(result)[("Image", "nginx-1-27")]["spec"] == {
        "ref": "nginx:1.27",
        "pull": {"policy": "IfNotPresent"},
    }
    assert container(result, "web") == {
        "image": "nginx:1.27",
        "networks": [{"name": "default", "aliases": ["web"]}],
        "restartPolicy": "Never",  # Compose's default, not dockform's Always
    }
    assert result.drops == []
    assert loadable(result.documents) is None
    assert [loaded.kind for loaded in load_documents(result.documents)] == [
        "Network",
        "Image",
        "Container",
    ]


def test_namespace_option_overrides_the_project_name() -> None:
    result = translate(project(web={"image": "nginx"}), namespace="other")
    assert {doc["metadata"]["namespace"] for doc in result.documents} == {"other"}


def test_build_makes_an_image_named_after_the_service_tagged_as_compose_tags_it() -> None:
    build = {
        "context": "/src/app",
        "dockerfile": "docker/Dockerfile",
        "args": {"VERSION": "1.2", "UNSET": None},
        "target": "prod",
        "cache_from": ["x"],
    }
    result = translate(
        project(
            web={"build": build},
            api={"build": {"context": "/src/api", "dockerfile": "Dockerfile"}, "image": "me/api:2"},
            worker={"image": "me/api:2"},  # the same ref as api: one Image, built
        )
    )
    images = {n: d["spec"] for (k, n), d in by_kind_name(result).items() if k == "Image"}
    assert images == {
        "web": {
            "ref": "shop-web",
            "build": {
                "context": "/src/app",
                "dockerfile": "docker/Dockerfile",
                "args": {"VERSION": "1.2"},
                "target": "prod",
            },
        },
        "api": {"ref": "me/api:2", "build": {"context": "/src/api"}},
    }
    assert container(result, "web")["image"] == "shop-web"
    assert container(result, "worker")["image"] == "me/api:2"
    assert drops(result) == [
        "web: build.args.UNSET: no value given: the Dockerfile's default",
        "web: build.cache_from: not supported by dockform's Image build",
    ]


def test_pull_policies() -> None:
    result = translate(
        project(
            a={"image": "a:1", "pull_policy": "always"},
            b={"image": "b:1", "pull_policy": "never"},
        )
    )
    images = {n: d["spec"] for (k, n), d in by_kind_name(result).items() if k == "Image"}
    assert images == {"a-1": {"ref": "a:1", "pull": {"policy": "Always"}}}
    assert container(result, "b")["image"] == "b:1"


def test_depends_on_conditions() -> None:
    result = translate(
        project(
            db={"image": "postgres"},
            migrate={"image": "app"},
            cache={"image": "redis"},
            web={
                "image": "app",
                "depends_on": {
                    "db": {"condition": "service_healthy", "required": True},
                    "migrate": {"condition": "service_completed_successfully", "required": True},
                    "cache": {"condition": "service_started", "required": True, "restart": True},
                },
            },
        )
    )
    assert container(result, "web")["dependsOn"] == [
        {"name": "cache"},
        {"name": "db", "condition": "Healthy"},
        {"name": "migrate", "kind": "Job"},
    ]
    assert drops(result) == [
        "web: depends_on.cache.restart: dockform does not restart dependents",
    ]


def test_healthcheck_forms() -> None:
    result = translate(
        project(
            a={
                "image": "x",
                "healthcheck": {
                    "test": ["CMD", "curl", "-f", "http://localhost/"],
                    "interval": "5s",
                    "timeout": "2s",
                    "retries": 5,
                    "start_period": "1m0s",
                    "start_interval": "1s",
                },
            },
            b={"image": "x", "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U app"]}},
            c={"image": "x", "healthcheck": {"test": ["NONE"]}},
            d={"image": "x", "healthcheck": {"disable": True}},
        )
    )
    assert container(result, "a")["healthcheck"] == {
        "command": ["curl", "-f", "http://localhost/"],
        "interval": "5s",
        "timeout": "2s",
        "startPeriod": "1m0s",
        "retries": 5,
    }
    assert container(result, "b")["healthcheck"] == {"command": ["CMD-SHELL", "pg_isready -U app"]}
    assert container(result, "c")["healthcheck"] == {"command": ["NONE"]}
    assert container(result, "d")["healthcheck"] == {"command": ["NONE"]}
    assert drops(result) == ["a: healthcheck.start_interval: 1s: dockform has none"]
    load_documents(result.documents)


@pytest.mark.parametrize(
    ("restart", "policy"),
    [("no", "Never"), ("always", "Always"), ("on-failure", "OnFailure"),
     ("unless-stopped", "UnlessStopped")],
)  # fmt: skip
def test_restart_policies(restart: str, policy: str) -> None:
    result = translate(project(a={"image": "x", "restart": restart}))
    assert container(result, "a")["restartPolicy"] == policy
    assert result.drops == []


def test_restart_retry_count_and_deploy_restart_policy() -> None:
    result = translate(
        project(
            a={"image": "x", "restart": "on-failure:3"},
            b={"image": "x", "deploy": {"restart_policy": {"condition": "any", "delay": "5s"}}},
        )
    )
    assert container(result, "a")["restartPolicy"] == "OnFailure"
    assert container(result, "b")["restartPolicy"] == "Always"
    assert drops(result) == [
        "a: restart: on-failure:3: dockform's OnFailure has no retry limit",
        "b: deploy.restart_policy: delay: dockform has no such limits",
    ]


def test_ports_keep_compose_addresses_and_protocols() -> None:
    ports = [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "published": "8080",
         "protocol": "tcp"},
        {"mode": "ingress", "target": 53, "published": "5353", "protocol": "udp"},
        {"mode": "ingress", "target": 9000, "protocol": "tcp", "app_protocol": "http"},
        {"mode": "ingress", "target": 81, "published": "8000-8001", "protocol": "tcp"},
    ]  # fmt: skip
    result = translate(project(a={"image": "x", "ports": ports}))
    assert container(result, "a")["ports"] == [
        {"containerPort": 80, "hostPort": 8080, "hostIP": "127.0.0.1"},
        {"containerPort": 53, "hostPort": 5353, "hostIP": "0.0.0.0", "protocol": "udp"},
        {"containerPort": 9000, "hostIP": "0.0.0.0"},
        {"containerPort": 81, "hostPort": 8000, "hostIP": "0.0.0.0"},
    ]
    assert drops(result) == [
        "a: ports.81.published: 8000-8001: dockform publishes on 8000 only",
        "a: ports.9000.app_protocol: http: dockform's ports have no app_protocol",
    ]
    load_documents(result.documents)


def test_environment_command_and_plain_fields() -> None:
    result = translate(
        project(
            a={
                "image": "x",
                "command": ["sh", "-c", "echo $$HOME"],
                "entrypoint": ["/init"],
                "environment": {"A": "1", "EMPTY": "", "UNSET": None},
                "working_dir": "/app",
                "user": "1000:1000",
                "labels": {"com.example.tier": "web"},
                "stop_grace_period": "1m30s",
            }
        )
    )
    spec = container(result, "a")
    assert spec["command"] == ["sh", "-c", "echo $HOME"]  # Compose prints a literal $ as $$
    assert spec["entrypoint"] == ["/init"]
    assert spec["env"] == {"A": "1", "EMPTY": ""}
    assert (spec["workingDir"], spec["user"]) == ("/app", "1000:1000")
    assert spec["labels"] == {"com.example.tier": "web"}
    assert spec["stopGracePeriod"] == "1m30s"
    assert drops(result) == [
        "a: environment.UNSET: no value set (Compose would pass it unset as well)"
    ]


def test_volumes_binds_and_tmpfs() -> None:
    mounts = [
        {"type": "volume", "source": "data", "target": "/var/lib/data", "volume": {}},
        {"type": "bind", "source": "/srv/app/conf", "target": "/etc/app", "read_only": True,
         "bind": {"create_host_path": True}},
        {"type": "bind", "source": "/srv/app/x", "target": "/x",
         "bind": {"propagation": "rshared"}},
        {"type": "tmpfs", "target": "/cache", "tmpfs": {"size": 1048576}},
        {"type": "volume", "target": "/anon", "volume": {}},
    ]  # fmt: skip
    spec_project = project(a={"image": "x", "volumes": mounts, "tmpfs": ["/run", "/tmp:size=1m"]})
    spec_project["volumes"] = {"data": {"name": "shop_data"}}
    result = translate(spec_project)
    spec = container(result, "a")
    assert spec["volumes"] == [
        {"volume": "data", "mountPath": "/var/lib/data"},
        {"hostPath": "/srv/app/conf", "mountPath": "/etc/app", "readOnly": True,
         "createHostPath": True},
        {"hostPath": "/srv/app/x", "mountPath": "/x", "propagation": "rshared"},
    ]  # fmt: skip
    assert spec["tmpfs"] == {"/cache": "size=1048576", "/run": "", "/tmp": "size=1m"}
    assert drops(result) == [
        "a: volumes./anon: anonymous volume: name it in the compose file to keep it",
    ]
    assert by_kind_name(result)[("Volume", "data")]["spec"] == {}
    load_documents(result.documents)


def test_networks_aliases_addresses_and_modes() -> None:
    spec_project = project(
        web={
            "image": "x",
            "networks": {
                "front": {"aliases": ["www"], "ipv4_address": "172.28.0.10", "priority": 10},
                "back": None,
                "ext": None,
            },
            "volumes": [{"type": "volume", "source": "certs", "target": "/certs", "volume": {}}],
        },
        tool={"image": "x", "network_mode": "host"},
        legacy={"image": "x", "network_mode": "bridge"},
        side={"image": "x", "network_mode": "service:web"},
    )
    spec_project["networks"] = {
        "front": {"name": "shop_front", "ipam": {"config": [{"subnet": "172.28.0.0/16"}]}},
        "back": {"name": "shop_back", "internal": True, "driver": "overlay", "labels": {"a": "b"}},
        "ext": {"name": "proxy", "external": True},
    }
    spec_project["volumes"] = {"certs": {"name": "acme-certs", "external": True}}
    result = translate(spec_project)
    assert container(result, "web")["networks"] == [
        {"name": "back", "aliases": ["web"]},
        {"name": "proxy", "aliases": ["web"]},
        {"name": "front", "aliases": ["web", "www"], "ipv4Address": "172.28.0.10"},
    ]
    # External objects: no manifest; the Container names them by their Docker name.
    assert container(result, "web")["volumes"] == [{"volume": "acme-certs", "mountPath": "/certs"}]
    assert ("Volume", "certs") not in by_kind_name(result)
    assert container(result, "tool")["hostNetwork"] is True
    assert container(result, "legacy")["networks"] == ["bridge"]
    assert "networks" not in container(result, "side")
    networks = {n: d["spec"] for (k, n), d in by_kind_name(result).items() if k == "Network"}
    assert networks == {
        "back": {"internal": True, "labels": {"a": "b"}},
        "front": {"subnet": "172.28.0.0/16"},
    }
    assert drops(result) == [
        "networks.back: driver: overlay: dockform makes bridge networks",
        "side: network_mode: service:web: dockform joins containers to networks only",
        "web: networks.front.priority: not supported by dockform's networks",
    ]


def test_resources_and_engine_settings() -> None:
    service = {
        "image": "x",
        "deploy": {
            "resources": {
                "limits": {"cpus": 0.5, "memory": "268435456", "pids": 100},
                "reservations": {"memory": "1048576"},
            },
            "placement": {},
            "replicas": 2,
        },
        "shm_size": "134217728",
        "cap_add": ["NET_ADMIN"],
        "cap_drop": ["ALL"],
        "ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": {"single": 512}},
        "read_only": True,
        "init": True,
        "stop_signal": "SIGQUIT",
        "extra_hosts": {"host.docker.internal": ["host-gateway"]},
        "dns": ["1.1.1.1"],
        "dns_search": ["example.com"],
        "dns_opt": ["ndots:2"],
        "sysctls": {"net.core.somaxconn": "1024"},
        "security_opt": ["no-new-privileges:true"],
        "group_add": ["audio"],
        "logging": {"driver": "json-file", "options": {"max-size": "10m"}},
        "oom_score_adj": -100,
        "platform": "linux/amd64",
        "hostname": "web1",
        "devices": [{"source": "/dev/fuse", "target": "/dev/fuse", "permissions": "rwm"}],
        "pid": "host",
        "tty": True,
        "secrets": [{"source": "token"}],
        "expose": ["8080"],
        "container_name": "my-web",
        "x-custom": 1,
    }
    spec_project = project(a=service)
    spec_project["secrets"] = {"token": {"file": "/srv/token"}}
    result = translate(spec_project)
    spec = container(result, "a")
    assert spec["resources"] == {"memory": "256Mi", "cpus": 0.5}
    assert spec["pidsLimit"] == 100
    assert spec["shmSize"] == "128Mi"
    assert spec["ulimits"] == {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 512}
    assert spec["extraHosts"] == ["host.docker.internal:host-gateway"]
    assert spec["devices"] == [{"hostPath": "/dev/fuse"}]
    assert spec["hostPID"] is True
    assert (spec["capAdd"], spec["capDrop"], spec["readOnly"], spec["init"]) == (
        ["NET_ADMIN"],
        ["ALL"],
        True,
        True,
    )
    assert spec["logging"] == {"driver": "json-file", "options": {"max-size": "10m"}}
    assert drops(result) == [
        "a: container_name: my-web: dockform names it shop_a",
        "a: deploy.replicas: 2: dockform runs one container per service",
        "a: deploy.resources.reservations.memory: dockform reserves nothing (limits only)",
        "a: expose: containers on a shared network reach every port: nothing to do",
        "a: secrets: not converted yet (write a Secret manifest)",
        "a: tty: dockform containers have no terminal",
        "secrets.token: secrets: not converted yet (write a Secret manifest)",
    ]
    load_documents(result.documents)


def test_gpu_reservation_becomes_a_gpu_request() -> None:
    devices = [{"capabilities": ["gpu"], "count": -1, "driver": "nvidia"}]
    result = translate(
        project(a={"image": "x", "deploy": {"resources": {"reservations": {"devices": devices}}}})
    )
    assert container(result, "a")["gpus"] == {
        "count": "all",
        "capabilities": ["gpu"],
        "driver": "nvidia",
    }
    assert result.drops == []


def test_service_alias_skipped_when_not_a_host_name() -> None:
    result = translate(project(celery_worker={"image": "x"}))
    assert container(result, "celery_worker")["networks"] == ["default"]
    assert drops(result) == [
        "celery_worker: networks.default: alias celery_worker: not a host name dockform accepts"
    ]


@pytest.mark.parametrize("name", ["Web", "-web", "w" * 64, "a b"])
def test_names_dockform_refuses_are_an_error(name: str) -> None:
    with pytest.raises(ComposeTranslationError, match="rename it in the compose file"):
        translate(project(**{name: {"image": "x"}}))


def test_output_is_deterministic_and_yaml_round_trips() -> None:
    one = translate(project(b={"image": "x"}, a={"image": "y"}))
    two = translate(project(a={"image": "y"}, b={"image": "x"}))
    assert one.yaml() == two.yaml()
    assert one.yaml().startswith("apiVersion: dockform/v1\nkind: Network\n")


def test_a_build_shared_through_an_anchor_is_one_image_named_after_its_ref() -> None:
    build = {"context": "/src/app", "target": "runtime"}
    result = translate(
        project(
            web={"build": build, "image": "shop/app:1.0"},
            worker={"build": dict(build), "image": "shop/app:1.0"},
            odd={"build": {"context": "/src/other"}, "image": "shop/app:1.0"},
        )
    )
    images = {n: d["spec"] for (k, n), d in by_kind_name(result).items() if k == "Image"}
    assert images == {
        "app-1-0": {"ref": "shop/app:1.0", "build": {"context": "/src/other"}},
    }
    assert drops(result) == [
        "web: build: image shop/app:1.0 is built as service odd builds it, not so",
        "worker: build: image shop/app:1.0 is built as service odd builds it, not so",
    ]
    same = translate(
        project(
            web={"build": build, "image": "shop/app:1.0"},
            worker={"build": dict(build), "image": "shop/app:1.0"},
        )
    )
    assert same.drops == []
    assert [n for (k, n) in by_kind_name(same) if k == "Image"] == ["app-1-0"]


def test_a_service_others_wait_to_complete_becomes_a_job() -> None:
    result = translate(
        project(
            migrate={"image": "app", "command": ["migrate"], "restart": "on-failure:3"},
            seed={"image": "app", "restart": "always"},
            web={
                "image": "app",
                "depends_on": {
                    "migrate": {"condition": "service_completed_successfully"},
                    "seed": {"condition": "service_completed_successfully"},
                },
            },
            worker={"image": "app", "depends_on": {"migrate": {"condition": "service_started"}}},
        )
    )
    documents = by_kind_name(result)
    job = documents[("Job", "migrate")]["spec"]
    assert job["backoffLimit"] == 3 and "restartPolicy" not in job
    assert ("Container", "migrate") not in documents
    assert "restartPolicy" not in documents[("Job", "seed")]["spec"]
    assert container(result, "web")["dependsOn"] == [
        {"name": "migrate", "kind": "Job"},
        {"name": "seed", "kind": "Job"},
    ]
    assert container(result, "worker")["dependsOn"] == [{"name": "migrate", "kind": "Job"}]
    assert drops(result) == [
        "seed: restart: always: a service others wait to complete runs once, as a Job",
        "worker: depends_on.migrate.condition: service_started: migrate is a Job (another "
        "service waits for it to complete); this one waits for that too",
    ]
