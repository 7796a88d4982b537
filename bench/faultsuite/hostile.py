"""hostile: generated hostile manifests sent to POST /v1/apply while 5 containers run.

Each body comes from one generator in turn (YAML bombs, deep nesting, huge strings, random
bytes, unicode names, duplicate keys and names, wrong types, and a few more: NUL bytes,
dependency cycles, YAML tags, invalid UTF-8, thousands of documents). No body names one of the
running Containers. Measured: 5xx answers, answers slower than 5 s, the daemon's RSS growth,
and whether the 5 running containers were touched (their ids and start times). A daemon that
dies is counted and started again, so the rest of the run still measures.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.faultsuite.common import (
    IMAGE,
    Sizes,
    container,
    dump,
    figure,
    our_containers,
    reference,
    wait_for,
    zero,
)
from bench.faultsuite.daemon import FaultDaemon, raw_post, ready

CASE = "hostile"
SLOW_S = 5.0
RSS_LIMIT_MIB = 50.0
YAML = "application/yaml"
ROLE_LABEL = "dockform.faults.role"
BYSTANDER = {ROLE_LABEL: "bystander"}
Body = tuple[bytes, str]


def _doc(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "dockform/v1",
        "kind": "Container",
        "metadata": {"name": name},
        "spec": {"image": IMAGE, **spec},
    }


def billion_laughs(rng: random.Random) -> Body:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, rng.randint(6, 10)):
        previous = chr(ord("a") + level - 1)
        here = chr(ord("a") + level)
        lines.append(f"{here}: &{here} [{','.join(['*' + previous] * 9)}]")
    lines.append("apiVersion: dockform/v1\nkind: Container\nmetadata: {name: bomb}\nspec: *a")
    return "\n".join(lines).encode(), YAML


def deep_nesting(rng: random.Random) -> Body:
    depth = rng.choice([100, 500, 5000])
    opening = "".join(rng.choice(['{"k": ', "["]) for _ in range(depth))
    closing = "".join("}" if char == "{" else "]" for char in reversed(opening) if char in "{[")
    document = json.dumps(_doc("deep")).removesuffix("}}")
    return f'{document}, "labels": {{"n": {opening}"x"{closing}}}}}}}'.encode(), YAML


def huge_string(rng: random.Random) -> Body:
    size = rng.choice([10 * 1024 * 1024, 3 * 1024 * 1024, 1024 * 1024])
    field = rng.choice(["env", "name", "command"])
    blob = "x" * size
    if field == "env":
        return dump([_doc("huge", env={"BIG": blob})]).encode(), YAML
    if field == "name":
        return dump([_doc(blob)]).encode(), YAML
    return dump([_doc("huge", command=[blob])]).encode(), YAML


def random_bytes(rng: random.Random) -> Body:
    return rng.randbytes(rng.choice([1, 64, 4096, 65536])), rng.choice([YAML, "application/json"])


def unicode_names(rng: random.Random) -> Body:
    names = [
        "ñame",
        "名前",
        "😀",
        "a\u200bb",
        "\u202eevil",
        "\uff41\uff42\uff43",
        "x" * 64,
        "-a",
        "A",
        "a..b",
    ]
    return dump([_doc(rng.choice(names))]).encode("utf-8"), YAML


def duplicate_keys(rng: random.Random) -> Body:
    text = (
        f"apiVersion: dockform/v1\nkind: Container\nmetadata:\n  name: dupkey\n  name: dupkey2\n"
        f"spec:\n  image: {IMAGE}\n  image: other\n  env: {{A: '1', A: '2'}}\n"
    )
    return text.encode(), YAML


def duplicate_names(rng: random.Random) -> Body:
    return dump(
        [_doc("dupname", env={"V": str(i)}) for i in range(rng.randint(2, 5))]
    ).encode(), YAML


def wrong_types(rng: random.Random) -> Body:
    wrong: list[dict[str, Any]] = [
        {"apiVersion": "dockform/v1", "kind": "Container", "metadata": {"name": 7}, "spec": {}},
        {"apiVersion": "dockform/v1", "kind": "Container", "metadata": "x", "spec": []},
        _doc("wt", ports="8080"),
        _doc("wt", env=["A=1"]),
        _doc("wt", command="sh"),
        _doc("wt", restartPolicy=3),
        _doc("wt", resources={"memory": -1, "cpus": "many"}),
        _doc("wt", ports=[{"containerPort": 70000}]),
        {"apiVersion": "dockform/v1", "kind": ["Container"], "metadata": {"name": "wt"}},
        {"apiVersion": 1, "kind": "Container", "metadata": {"name": "wt"}, "spec": None},
    ]
    return dump([rng.choice(wrong)]).encode(), YAML


def nul_and_cycles(rng: random.Random) -> Body:
    choice = rng.randint(0, 2)
    if choice == 0:  # a NUL byte in an env value (issue 16: should be 422)
        return b"apiVersion: dockform/v1\nkind: Container\nmetadata: {name: nul}\nspec:\n" + (
            f"  image: {IMAGE}\n  env: {{A: !!binary AGE=}}\n".encode()
        ), YAML
    if choice == 1:
        return dump([_doc("selfdep", dependsOn=[{"name": "selfdep"}])]).encode(), YAML
    cycle = [_doc(f"cyc{i}", dependsOn=[{"name": f"cyc{(i + 1) % 3}"}]) for i in range(3)]
    return dump(cycle).encode(), YAML


def yaml_tags(rng: random.Random) -> Body:
    tags = [
        "!!python/object/apply:os.system ['true']",
        "!!python/name:os.system",
        "!custom {a: 1}",
        "!!set {a, b}",
        "!!timestamp 2001-12-14",
    ]
    return (
        f"apiVersion: dockform/v1\nkind: Container\nmetadata: {rng.choice(tags)}\n".encode(),
        YAML,
    )


def invalid_encoding(rng: random.Random) -> Body:
    bodies = [b"\xff\xfe\x00k\x00i\x00n\x00d", b"kind: \xc3\x28", b"\x00" * 100, b"---\n" * 1000]
    return rng.choice(bodies), rng.choice([YAML, "text/plain", "application/json"])


def many_documents(rng: random.Random) -> Body:
    count = rng.choice([2000, 10000])
    docs = (
        json.dumps({"apiVersion": "dockform/v1", "kind": "Network", "metadata": {"name": f"n{i}"}})
        for i in range(count)
    )
    return "\n---\n".join(docs).encode(), YAML


def json_bodies(rng: random.Random) -> Body:
    alphabet = string.printable
    junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 200)))
    bodies = ['{"items": 5}', "[[[[[[]]]]]]" * 50, '{"items": [null, 1, "x"]}', junk, "[" * 10000]
    return rng.choice(bodies).encode(), "application/json"


GENERATORS: list[Callable[[random.Random], Body]] = [
    billion_laughs, deep_nesting, huge_string, random_bytes, unicode_names, duplicate_keys,
    duplicate_names, wrong_types, nul_and_cycles, yaml_tags, invalid_encoding, many_documents,
    json_bodies,
]  # fmt: skip


def running_fingerprint(api: Any) -> dict[str, str]:
    """id -> start time of the case's running containers (the 5 that must stay untouched)."""
    fingerprint = {}
    for summary in our_containers(api, CASE, running_only=True):
        if summary["Labels"].get(ROLE_LABEL) == "bystander":
            started = api.inspect_container(summary["Id"])["State"]["StartedAt"]
            fingerprint[str(summary["Id"])] = str(started)
    return fingerprint


def _bystanders_ready(daemon: FaultDaemon, api: Any) -> bool:
    items = daemon.items() or []
    return len(running_fingerprint(api)) == 5 and all(ready(item) for item in items)


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    rng = random.Random(1616)
    daemon = FaultDaemon(workdir / "home", CASE)
    statuses: dict[str, dict[str, int]] = {}
    server_errors: list[str] = []
    slow: list[str] = []
    crashes = 0
    try:
        if not daemon.start():
            raise RuntimeError(f"the daemon did not start:\n{daemon.log_tail()}")
        bystanders = [container(f"hostile-run-{i}", CASE, labels=BYSTANDER) for i in range(5)]
        daemon.client.apply(dump(bystanders))
        if not wait_for(lambda: _bystanders_ready(daemon, api), 60, 0.2):
            raise RuntimeError("the 5 bystander containers never ran")
        before = running_fingerprint(api)
        rss_before = daemon.rss_mib() or 0.0
        for index in range(sizes.hostile_manifests):
            generator = GENERATORS[index % len(GENERATORS)]
            body, content_type = generator(rng)
            status, seconds, text = raw_post(daemon.socket, "/v1/apply", body, content_type, 30)
            kind = generator.__name__
            key = str(status) if status is not None else "no answer"
            statuses.setdefault(kind, {})[key] = statuses.setdefault(kind, {}).get(key, 0) + 1
            if status is None or status >= 500:
                server_errors.append(f"{kind}: {key} {text[:200]}")
            if seconds > SLOW_S:
                slow.append(f"{kind}: {seconds:.1f}s")
            if not daemon.alive():
                crashes += 1
                daemon.start()
        rss_after = daemon.rss_mib()
        after = running_fingerprint(api)
    finally:
        daemon.delete_everything()
        daemon.close()
    touched = len(set(before.items()) ^ set(after.items())) // 2 + abs(len(before) - len(after))
    accepted = {
        kind: sum(n for status, n in counts.items() if status.startswith("2"))
        for kind, counts in statuses.items()
    }
    accepted = {kind: count for kind, count in accepted.items() if count}
    growth = None if rss_after is None else round(rss_after - rss_before, 1)
    return {
        "figures": [
            reference("manifests", sizes.hostile_manifests),
            zero("5xx or no answer", len(server_errors)),
            zero(f"answers over {SLOW_S:.0f} s", len(slow)),
            zero("daemon crashes", crashes),
            zero("accepted (2xx): NUL bytes, dependency cycles, ...", sum(accepted.values())),
            figure(
                "daemon RSS growth",
                growth,
                f"< {RSS_LIMIT_MIB:.0f} MiB",
                None if growth is None else growth < RSS_LIMIT_MIB,
                "MiB",
            ),
            zero("running containers touched", touched),
        ],
        "statuses_by_generator": statuses,
        "accepted_by_generator": accepted,
        "server_errors": server_errors[:30],
        "slow": slow[:30],
        "rss_mib": {"before": round(rss_before, 1), "after": rss_after},
        "method": (
            f"{sizes.hostile_manifests} bodies from {len(GENERATORS)} generators in turn "
            "(seeded), POSTed raw to /v1/apply on the unix socket, 30 s client timeout, while "
            "5 Containers run; RSS from /proc before and after; the running containers' ids and "
            "start times compared"
        ),
    }
