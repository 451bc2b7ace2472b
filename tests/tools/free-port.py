#!/usr/bin/env python3
"""Prints a TCP port on 127.0.0.1 such that PORT..PORT+SPAN-1 are all free (default span 1).

Ports come from below Linux's ephemeral range (32768 and up), so that no client's source port (and no TCP
self-connect to a stopped service) can hold a service's port when that service restarts."""
import random, socket, sys

span = int(sys.argv[1]) if len(sys.argv) > 1 else 1
for _ in range(200):
    base = random.randrange(20000, 32700)
    socks = []
    try:
        for p in range(base, base + span):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
        print(base)
        sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
sys.exit("no free port range found")
