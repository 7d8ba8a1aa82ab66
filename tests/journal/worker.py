"""A minimal controller for the crash tests: JSON-line commands on stdin, acks on stdout.

It uses the real DurableEngine the MQTT gateway uses and follows the same rule: apply a batch,
commit once, and only then acknowledge. Lines waiting on stdin are taken together into one
batch, so a burst exercises group commit.

    {"n": 7, "cmd": "RequestTicket", "args": {"service": "social"}}   ->   7 ok 20261123-A007
"""

import json
import os
import select
import sys
import time

from hall import config
from hall_controller.durable import DurableEngine
from hall_controller.engine import commands

MAX_BATCH = 256


def main(config_path: str, db_path: str) -> None:
    durable = DurableEngine(config.load(config_path), db_path)
    fd = sys.stdin.fileno()
    pending = b""
    print("ready", flush=True)
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        pending += chunk
        while select.select([fd], [], [], 0)[0] and pending.count(b"\n") < MAX_BATCH:
            more = os.read(fd, 65536)
            if not more:
                break
            pending += more
        *lines, pending = pending.split(b"\n")
        batch = [json.loads(line) for line in lines if line.strip()]
        now = time.time()
        results = durable.apply([(getattr(commands, m["cmd"])(**m["args"]), now) for m in batch])
        durable.commit()
        out = []
        for m, r in zip(batch, results):
            first = next((e for e in r.events if hasattr(e, "ticket")), None)
            out.append(f"{m['n']} {'ok' if r.ok else 'refused'} {first.ticket if first else '-'}")
        if out:
            sys.stdout.write("\n".join(out) + "\n")
            sys.stdout.flush()
    durable.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
