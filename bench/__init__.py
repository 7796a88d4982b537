"""Benchmarks: dockform against Docker Compose (v2 and 1.29) and the engine's own floor, in one
run (issues 6 and 17).

`bench/run` (or `python -m bench`) starts a dockform daemon as a subprocess on a private
DOCKFORM_HOME, runs each case with its peers interleaved on the same dockerd and the same image,
prints a table of figures beside their targets and writes `bench/results/latest.json`.

Modules: `config` (sizes, quick and full), `stats`, `engine` (Docker helpers: the bench image,
the event recorder, the floor, the sweep), `context` (what each case gets, py-spy profiling),
`daemon` (the dockform daemon under test), `compose` (the Compose peers, v2 and 1.29), one
module per case (`converge`, `steady` for noop and idle, `drift`, `watch`, `api`, `recreate`,
`cli_speed` for the command's own speed, `stores`), `report`
(targets, table, JSON) and `suite`.
This package sits above every layer (DESIGN.md: bench imports everything); it talks to the
daemon only through `api.client` and to Docker through the docker SDK, as a user would.
"""
