"""The `dockform` command (typer + rich). Talks to the daemon through `api.client`; only
`cli.daemon`, the composition root, wires the store, runtime, controller and API together."""
