"""`dockform convert`: compose files in, dockform manifests out (offline, no daemon).

`sources.compose_normaliser` runs Docker Compose v2's `config --format json` on the files;
`manifests.compose.translate` turns the normalised project into manifests, printed as
multi-document YAML on stdout, and every field it cannot express is reported on stderr as
`SERVICE: FIELD: what is dropped`. Exit codes: 0 converted (drops or not), 2 when Compose
refuses the files (its own message), a name dockform refuses, no Compose v2 is installed, or,
with `--strict`, any drop.

`dockform convert` runs through `main` here, not through `cli.main` (see `cli.entry`): it
needs neither the API client nor rich, and a user waits for every import it makes.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer


def _say(text: str) -> None:
    typer.echo(text, err=True)


def convert(
    filename: Annotated[
        list[str],
        typer.Option(
            "-f",
            "--file",
            metavar="PATH",
            help="A compose file; repeat to merge overrides, as docker compose -f does "
            "(default: compose.yaml, docker-compose.yml... in the current directory).",
        ),
    ] = [],  # noqa: B006
    env_file: Annotated[
        list[str],
        typer.Option("--env-file", metavar="PATH", help="Variables for interpolation (.env)."),
    ] = [],  # noqa: B006
    profile: Annotated[
        list[str], typer.Option("--profile", metavar="NAME", help="Enable a compose profile.")
    ] = [],  # noqa: B006
    namespace: Annotated[
        str | None,
        typer.Option(
            "-n",
            "--namespace",
            metavar="NAMESPACE",
            help="Namespace of the manifests (default: the compose project's name).",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 2 if any compose field is dropped.")
    ] = False,
) -> None:
    """Print dockform manifests for a Compose project (interpolated and merged by Docker
    Compose v2 itself); each field dockform cannot express is reported on stderr.

    Example: dockform convert -f compose.yaml -f compose.prod.yaml > app.yaml
    """
    # Here rather than at the top: `cli.main` lists this command, and the translation's models
    # would cost every other command their import time (bench/cli_speed).
    from dockform.manifests.compose import ComposeTranslationError, translate
    from dockform.sources.compose_normaliser import NormaliserError, find_normaliser

    try:
        normalised = find_normaliser().config(filename, env_file, profile)
        translation = translate(normalised.project, namespace)
    except (NormaliserError, ComposeTranslationError) as error:
        _say(f"error: {error}")
        raise typer.Exit(2) from error
    if normalised.warnings:
        _say(normalised.warnings)
    for drop in translation.drops:
        _say(str(drop))
    if strict and translation.drops:
        _say(f"error: {len(translation.drops)} compose field(s) dropped (--strict)")
        raise typer.Exit(2)
    sys.stdout.write(
        f"# dockform convert: compose project {normalised.project.get('name')!r}, "
        f"namespace {translation.namespace!r}\n"
    )
    sys.stdout.write(translation.yaml())


def main(args: list[str]) -> None:
    """`dockform convert ARGS...` on its own: the same command `cli.main` lists."""
    from dockform.cli.params import install as install_plain_params

    install_plain_params()
    app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    app.command()(convert)
    app(args=args, prog_name="dockform convert")
