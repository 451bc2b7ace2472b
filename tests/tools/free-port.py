#!/usr/bin/env python3
"""Prints a TCP port on 127.0.0.1 such that PORT..PORT+SPAN-1 are all free (default span 1)."""
import random, socket, sys

span = int(sys.argv[1]) if len(sys.argv) > 1 else 1
for _ in range(200):
    base = random.randrange(20000, 40000)
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
