"""The fault suite (issue 16): dockform under crashes, engine restarts, hostile input and more.

`bench/faults [--quick] [--only CASE,...] [--out FILE]` (or `python -m bench.faultsuite`) runs each
case against daemons it starts itself (own DOCKFORM_HOME, own `--instance`, the test labels on
every Docker object), prints each figure beside its target and writes
`bench/results/faults.json`. It measures and reports, it never asserts: a miss is a row of the
table, and the run still exits 0.

Modules: `common` (sizes, labels, the image, figures), `daemon` (a daemon that may crash),
`report`, `suite`, and one module per case: `crash`, `engine` (with `dockerd`, a second Docker
Engine the suite owns), `restart`, `fuzz`, `hostile`, `watch`, `engine_errors` (with `proxy`,
a fault-injecting proxy in front of the Docker socket), `disk_full`, `host_access`.
"""
