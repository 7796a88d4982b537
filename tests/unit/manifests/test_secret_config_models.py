"""Secret and Config manifests, and how a Container names them: one source each, file modes,
target defaults, env from a Secret, and hashes that leave the sealed content out."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dockform.manifests.hashing import hashed_spec, spec_hash
from dockform.manifests.models import ConfigSpec, ContainerSpec, EnvFromSecret, SecretSpec


def test_a_secret_has_exactly_one_source() -> None:
    assert SecretSpec(value="x").value == "x"
    assert SecretSpec(env="DB_PASS").env == "DB_PASS"
    with pytest.raises(ValidationError, match="exactly one of value, file or env"):
        SecretSpec()
    with pytest.raises(ValidationError, match=r"\(got value, file\)"):
        SecretSpec(value="x", file="/a")
    with pytest.raises(ValidationError, match="exactly one of value or file"):
        ConfigSpec()
    with pytest.raises(ValidationError, match="env"):
        ConfigSpec.model_validate({"env": "X"})  # a Config has no env source


def test_mounts_default_their_targets_and_read_octal_modes() -> None:
    spec = ContainerSpec.model_validate(
        {
            "image": "a",
            "secrets": [{"name": "pw"}, {"name": "tls", "target": "tls.key", "mode": "0400"}],
            "configs": [{"name": "conf"}, {"name": "nginx", "target": "/etc/nginx.conf"}],
        }
    )
    assert [m.target_path() for m in spec.secrets] == ["/run/secrets/pw", "/run/secrets/tls.key"]
    assert [m.mode for m in spec.secrets] == [0o444, 0o400]
    assert [m.target_path() for m in spec.configs] == ["/conf", "/etc/nginx.conf"]
    with pytest.raises(ValidationError):
        ContainerSpec.model_validate({"image": "a", "secrets": [{"name": "pw", "mode": "999"}]})
    twice = {"image": "a", "secrets": [{"name": "x"}, {"name": "y", "target": "x"}]}
    assert ContainerSpec.model_validate(twice).repeated_targets() == ["/run/secrets/x"]


def test_env_from_a_secret_leaves_plain_env_hashes_alone() -> None:
    plain = {"image": "a", "env": {"A": "1"}}
    assert hashed_spec("Container", plain) == {"image": "a", "env": {"A": "1"}}
    spec = ContainerSpec.model_validate({"image": "a", "env": {"A": "1", "B": {"secret": "pw"}}})
    assert spec.env["B"] == EnvFromSecret(secret="pw")
    assert spec.secret_names() == ["pw"]


def test_the_sealed_content_is_not_hashed_its_digest_is() -> None:
    digest = "a" * 64
    one = {"env": "X", "sha256": digest, "sealed": "v1:AAAA"}
    two = {"env": "X", "sha256": digest, "sealed": "v1:BBBB"}  # another key, same content
    assert spec_hash("Secret", one) == spec_hash("Secret", two)
    assert spec_hash("Secret", one) != spec_hash("Secret", {**one, "sha256": "b" * 64})
