"""dockform's runtime layer: the only package that talks to a container engine.

`runtime.interface.Runtime` is the contract the controller codes against; `runtime.types` the
plain data crossing it; `runtime.errors` the one error tree. `runtime.docker_driver` implements
it on the Docker Engine API, `runtime.swarm_driver` on Docker Swarm, and `runtime.fake` in
memory for unit tests. Import the driver from its module: importing this package must not
pull in docker-py.
"""
