"""host access: every way of reaching the host that issue 16 lists, as regression cases.

Each case is one manifest applied to a default daemon (no `--allow-host-access`): refused
(403 or 422) is the target; anything else is reported with its status. An accepted manifest is
deleted at once, before anything of it can do harm: the containers only sleep (no file is read),
the build context is the public /etc/ssl/certs with a Dockerfile that copies nothing, the load
path is /etc/hostname, and the git repository is an empty one the suite makes. A few settings
refused already are controls.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Any

import docker.errors

from bench.faultsuite.common import Sizes, container, dump, figure
from bench.faultsuite.daemon import FaultDaemon

CASE = "host-access"
REFUSED = (403, 422)
HOST_PATHS = {
    "hostPath /proc/self/root/etc": "/proc/self/root/etc",
    "hostPath /proc/1/root": "/proc/1/root",
    "hostPath /root": "/root",
    "hostPath /var/lib/docker": "/var/lib/docker",
    "hostPath /proc": "/proc",
    "hostPath /sys": "/sys",
    "hostPath /dev": "/dev",
    "hostPath /home": "/home",
    "hostPath /boot": "/boot",
    "hostPath containerd socket": "/var/run/docker/containerd/containerd.sock",
    "hostPath //etc/./": "//etc/./",
    "control: hostPath /etc": "/etc",
    "control: hostPath docker.sock": "/var/run/docker.sock",
}


def _mount(path: str) -> dict[str, Any]:
    return {"volumes": [{"hostPath": path, "mountPath": "/host", "readOnly": True}]}


def _document(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "dockform/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def cases(workdir: Path) -> dict[str, list[dict[str, Any]]]:
    """Name -> the documents of one manifest."""
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "Dockerfile").write_text("FROM scratch\nLABEL dockform.test=1\n")
    link = workdir / "link-to-etc"
    link.unlink(missing_ok=True)
    link.symlink_to("/etc")
    repo = workdir / "repo"
    if not repo.exists():
        subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True)
    found: dict[str, list[dict[str, Any]]] = {}
    for index, (name, path) in enumerate(HOST_PATHS.items()):
        found[name] = [container(f"ha-path-{index}", CASE, extra_spec=_mount(path))]
    found[f"hostPath symlink to /etc ({link.name})"] = [
        container("ha-link", CASE, extra_spec=_mount(str(link)))
    ]
    for target in ("/etc", "/run"):
        opts = {"type": "none", "o": "bind", "device": target}
        found[f"Volume driverOpts bind {target}"] = [
            _document(
                "Volume",
                f"ha-vol{target.replace('/', '-')}",
                # Delete: a Retain volume would outlive its resource in Docker.
                {"driverOpts": opts, "reclaimPolicy": "Delete"},
            )
        ]
    # Under /etc but public (certificates): were it accepted and built, nothing secret is read.
    build = {"context": "/etc/ssl/certs", "dockerfile": str(elsewhere / "Dockerfile")}
    found["Image build.context /etc/ssl/certs, Dockerfile elsewhere"] = [
        _document("Image", "ha-build", {"ref": "dockform-faults/ha-build:1", "build": build})
    ]
    load = {"path": "/etc/hostname"}
    found["Image load.path /etc/hostname"] = [
        _document("Image", "ha-load", {"ref": "dockform-faults/ha-load:1", "load": load})
    ]
    found["networks: [host]"] = [container("ha-net", CASE, extra_spec={"networks": ["host"]})]
    found["GitSource url file:// of a local repository"] = [
        _document("GitSource", "ha-git-url", {"url": f"file://{repo}", "suspend": True})
    ]
    found["GitSource url as an absolute path"] = [
        _document("GitSource", "ha-git-abs", {"url": str(repo), "suspend": True})
    ]
    upwards = {"url": f"file://{repo}", "path": "../../..", "suspend": True}
    found["GitSource path ../../.."] = [_document("GitSource", "ha-git-up", upwards)]
    found["control: privileged"] = [container("ha-priv", CASE, extra_spec={"privileged": True})]
    found["control: hostNetwork"] = [container("ha-hnet", CASE, extra_spec={"hostNetwork": True})]
    return found


def attempt(daemon: FaultDaemon, documents: list[dict[str, Any]]) -> str:
    try:
        daemon.client.apply(dump(documents))
    except Exception as error:
        status = getattr(error, "status", None)
        return str(status) if status is not None else type(error).__name__
    return "2xx"


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    daemon = FaultDaemon(workdir / "home", CASE)
    outcomes: dict[str, str] = {}
    try:
        if not daemon.start():
            raise RuntimeError(f"the daemon did not start:\n{daemon.log_tail()}")
        for name, documents in cases(workdir).items():
            outcomes[name] = attempt(daemon, documents)
            if outcomes[name] == "2xx":  # accepted: take it away before it does anything
                daemon.delete_everything(timeout_s=30)
    finally:
        daemon.delete_everything(timeout_s=30)
        daemon.close()
        for tag in ("dockform-faults/ha-build:1", "dockform-faults/ha-load:1"):
            with contextlib.suppress(docker.errors.APIError):
                api.remove_image(tag, force=True)
    refused = [name for name, status in outcomes.items() if status in map(str, REFUSED)]
    rows = [
        figure(name, status, "403 or 422", status in map(str, REFUSED))
        for name, status in outcomes.items()
    ]
    rows_missed = len(refused) != len(outcomes)
    return {
        "figures": [
            figure("refused", f"{len(refused)} of {len(outcomes)}", "all", not rows_missed),
            *rows,
        ],
        "outcomes": outcomes,
        "method": (
            "each manifest applied once to a daemon without --allow-host-access; an accepted "
            "one deleted at once; 403 or 422 counts as refused"
        ),
    }
