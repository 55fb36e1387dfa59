"""A small keep-alive HTTP/1.1 load generator: fixed concurrency, fixed duration or rate."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    sql: list[int] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def summary(self) -> dict:
        sql = sorted(set(self.sql))
        return {"requests": len(self.latencies), "rps": round(self.rps, 1),
                "p50_ms": round(self.percentile(50), 2), "p95_ms": round(self.percentile(95), 2),
                "p99_ms": round(self.percentile(99), 2), "statuses": self.statuses,
                "errors": self.errors, "sql_statements": sql[0] if len(sql) == 1 else sql}


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def _worker(host: str, port: int, make: Callable[[int], Request], result: Result,
                  stop_at: float, interval: float | None, worker: int, ok: set[int],
                  after: Callable[[int, int, bytes], None] | None) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = 0
    next_at = time.perf_counter()
    try:
        while time.perf_counter() < stop_at:
            if interval:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_at += interval
            index = worker * 1_000_000 + n
            method, path, headers, body = make(index)
            n += 1
            head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}",
                    f"Content-Length: {len(body)}", "Connection: keep-alive"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            started = time.perf_counter()
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            try:
                status, resp_headers, resp_body = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                result.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status not in ok:
                result.errors += 1
            if after is not None:
                after(index, status, resp_body)
            if "x-sql-statements" in resp_headers:
                result.sql.append(int(resp_headers["x-sql-statements"]))
            if resp_headers.get("connection") == "close":
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def run(host: str, port: int, make: Callable[[int], Request], *, concurrency: int,
        seconds: float, rate: float | None = None, ok: frozenset[int] = frozenset({200}),
        after: Callable[[int, int, bytes], None] | None = None) -> Result:
    """Send requests from `concurrency` connections for `seconds` (optionally at a total rate).

    `make(n)` builds request n (n // 1_000_000 is the connection's number); `after(n, status,
    body)` sees each answer."""
    result = Result()
    interval = concurrency / rate if rate else None

    async def main() -> None:
        stop_at = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(_worker(host, port, make, result, stop_at, interval, w, set(ok),
                                       after) for w in range(concurrency)))
        result.seconds = time.perf_counter() - started

    asyncio.run(main())
    return result
