"""A load generator for when wrk is not installed: asyncio, raw HTTP/1.1, one process.

    python -m tests.bench.loadgen URL CONNECTIONS SECONDS

Each connection sends a GET, reads the whole answer and starts again (gunicorn's sync
workers close the connection after each response). Prints one JSON line:
{"requests": ..., "seconds": ..., "non_2xx": ..., "errors": ...}.
"""

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit


async def _one(host, port, request):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # Connection: close, so the answer ends with the stream
        return int(status_line.split()[1])
    finally:
        writer.close()


async def _connection(host, port, request, deadline, totals):
    while time.monotonic() < deadline:
        try:
            status = await _one(host, port, request)
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError):
            totals["errors"] += 1
            continue
        totals["requests"] += 1
        if not 200 <= status < 400:
            totals["non_2xx"] += 1


async def run(url, connections, seconds):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "User-Agent: consult-bench\r\nConnection: close\r\n\r\n"
    ).encode()
    totals = {"requests": 0, "non_2xx": 0, "errors": 0}
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(parts.hostname, parts.port or 80, request, deadline, totals)
            for _ in range(connections)
        )
    )
    totals["seconds"] = time.monotonic() - started
    return totals


def main(argv):
    url, connections, seconds = argv[1], int(argv[2]), float(argv[3])
    print(json.dumps(asyncio.run(run(url, connections, seconds))))


if __name__ == "__main__":
    main(sys.argv)
