"""A GitSource's webhook secret, read when a forge calls (`WebhookSecrets.secret_for`).

`spec.webhook` names it: `secretRef` (a Secret of the GitSource's namespace, opened with the
daemon's key like the files containers mount, `controller.container_files`) or `secretFile` (a
file of the daemon's host, approved by the host-access policy at apply and checked again here,
as every host path is just before it is used, `controller.host_access`). It is read at each call
and kept nowhere, so a changed Secret or file takes effect at the next call. A trailing newline
(a file written by `echo`) is no part of the secret.

The API's webhook route (`api.routes.webhooks`) asks for it and checks the signature
(`api.webhook_signatures`); this module says only what the secret is, or why there is none.
"""

from __future__ import annotations

from dockform.manifests.host_paths import recheck_refusal
from dockform.manifests.kinds import Kind
from dockform.manifests.models import MAX_CONTENT, GitSourceSpec, SecretSpec
from dockform.manifests.namespaces import display
from dockform.manifests.policy import WEBHOOK_FILE_FIELD
from dockform.settings import HostAccessSettings
from dockform.store.repository import Store
from dockform.store.types import Resource
from dockform.store.vault import SealBroken, Vault, seal_context


class NoWebhook(LookupError):
    """The GitSource has no `spec.webhook`: it accepts no webhook call."""


class SecretUnavailable(Exception):
    """The secret `spec.webhook` names cannot be read now; the message says why and what to do."""


class WebhookSecrets:
    def __init__(
        self,
        store: Store,
        vault: Vault | None,
        host_access: HostAccessSettings | None = None,
    ) -> None:
        self._store = store
        self._vault = vault
        self._host_access = host_access or HostAccessSettings()

    def secret_for(self, gitsource: Resource) -> bytes:
        """The secret of `gitsource`'s webhook; NoWebhook or SecretUnavailable."""
        shown = display(Kind.GIT_SOURCE, gitsource.namespace, gitsource.name)
        webhook = GitSourceSpec.model_validate(gitsource.spec).webhook
        if webhook is None:
            raise NoWebhook(
                f"{shown} accepts no webhooks: set spec.webhook (secretRef: {{name: SECRET}} or "
                "secretFile: PATH) to the secret the forge signs its calls with"
            )
        if webhook.secret_ref is not None:
            secret = self._from_secret(shown, gitsource.namespace, webhook.secret_ref.name)
        else:
            secret = self._from_file(shown, str(webhook.secret_file))
        secret = secret.removesuffix(b"\n").removesuffix(b"\r")
        if not secret:
            raise SecretUnavailable(f"{shown}: the webhook secret is empty; give it a value")
        return secret

    def _from_secret(self, shown: str, namespace: str, name: str) -> bytes:
        secret = display(Kind.SECRET, namespace, name)
        resource = self._store.get(Kind.SECRET, name, namespace)
        if resource is None or resource.deleting:
            raise SecretUnavailable(
                f"{shown}: spec.webhook.secretRef names {secret}, which does not exist; "
                "apply it (or fix the name)"
            )
        sealed = SecretSpec.model_validate(resource.spec).sealed
        if self._vault is None or sealed is None:
            raise SecretUnavailable(f"{shown}: {secret} cannot be opened; apply it again")
        try:
            return self._vault.open(seal_context(Kind.SECRET, namespace, name), sealed)
        except SealBroken as error:
            raise SecretUnavailable(f"{shown}: {secret} cannot be opened: {error}") from error

    def _from_file(self, shown: str, path: str) -> bytes:
        settings = self._host_access
        if not settings.allow_host_access:
            why = recheck_refusal(path, [*settings.roots, *settings.source_roots])
            if why is not None:
                raise SecretUnavailable(f"{shown}: {WEBHOOK_FILE_FIELD}: {why}")
        try:
            with open(path, "rb") as handle:
                content = handle.read(MAX_CONTENT + 1)
        except OSError as error:
            raise SecretUnavailable(
                f"{shown}: {WEBHOOK_FILE_FIELD} {path} cannot be read ({error.strerror}); "
                "create it on the daemon's host or fix the path"
            ) from None
        if len(content) > MAX_CONTENT:
            raise SecretUnavailable(f"{shown}: {path} is larger than {MAX_CONTENT} bytes")
        return content
