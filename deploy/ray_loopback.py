"""`ray start` that keeps a loopback --node-ip-address (127.0.0.1) as given.

Ray's CLI replaces 127.0.0.1 with the machine's first outward address so that other
machines could reach the node; a one-machine cluster for tests and benchmarks should listen
on loopback only. Same arguments as `ray start`."""

import sys

import ray._private.services as services


def _keep(host: str) -> str:
    if not host:
        raise ValueError(f"Malformed host: {host}")
    return host


services.resolve_ip_for_localhost = _keep

from ray.scripts.scripts import main  # noqa: E402 - after the patch above

sys.argv = ["ray", *sys.argv[1:]]
sys.exit(main())
