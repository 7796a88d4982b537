"""Benchmarks: dockform against Docker Compose (v2 and 1.29) and the engine's own floor, in one
run (issues 6 and 17).

`bench/run` (or `python -m bench`) starts a dockform daemon as a subprocess on a private
DOCKFORM_HOME, runs each case with its peers interleaved on the same dockerd and the same image,
prints a table of figures beside their targets and writes `bench/results/latest.json`.

Modules: `config` (sizes, quick and full), `stats`, `engine` (Docker helpers: the bench image,
the event recorder, the floor, the sweep), `context` (what each case gets, py-spy profiling),
`daemon` (the dockform daemon under test), `compose` (the Compose peers, v2 and 1.29), one
module per case (`converge`, `steady` for noop and idle, `drift`, `watch`, `api`, `recreate`,
`cli_speed` for the command's own speed, `stores`, `scale`, `swarm` with `swarm_peers` and
`swarm_cluster`), `report` (targets, table, JSON) and `suite`.

`--quick` stays under 4 minutes: it leaves out `scale` and `swarm` (the swarm case brings up
three dockerd and a registry of its own, `DFSW_ID=2 scripts/swarm3`, before it times anything:
n=30, three rounds of converge and of a rolling update, a few minutes); `BENCH_SCALE` and
`BENCH_SWARM=N[,REPEATS]` run them at sizes of one's choice, with or without `--quick`. The
swarm case needs root; without it the results say why it did not run.
This package sits above every layer (DESIGN.md: bench imports everything); it talks to the
daemon only through `api.client` and to Docker through the docker SDK, as a user would.
"""
