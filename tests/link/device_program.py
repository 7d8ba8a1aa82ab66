"""A device program reduced to its link, run as a real subprocess by the tests.

    python device_program.py URL HALL DEVICE OUTBOX idle        connect, say "connected", wait
    python device_program.py URL HALL DEVICE OUTBOX durable N   also store N durable messages,
                                                                printing each id once stored

It then waits forever, to be killed by the test (SIGKILL: no goodbye, no cleanup).
"""

import sys
import threading

from devices.link import DeviceLink


def main(argv: list[str]) -> None:
    url, hall, device, outbox, mode, *rest = argv
    link = DeviceLink(url, hall, device, outbox=outbox, state={"paper": "ok"}).start()
    if not link.wait_connected(10):
        print("not connected", flush=True)
        sys.exit(1)
    print("connected", flush=True)
    if mode == "durable":
        for n in range(int(rest[0])):
            message = link.send_durable("rating.submit", {"n": n})
            print(f"stored {message.id}", flush=True)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
