#!/usr/bin/env python3
"""Peer of bench_parallel_enrich --mode enrich: the same loop with aiohttp (the async runtime of
the official Python SDK): N person enrichments, `concurrency` workers, POST then GET status until
terminal, one keep-alive connection pool (limit = concurrency), one thread. Prints a RESULT line.
usage: bench_aiohttp.py N CONCURRENCY TAG [CHURN_K]   (CLEANLIST_BASE_URL, CLEANLIST_API_KEY;
  https: CLEANLIST_CA_FILE is the CA to trust). CHURN_K > 0: every K-th request asks
  "Connection: close", so a new connection (and TLS handshake) is made every K requests."""
import asyncio, os, resource, ssl, sys, time

import aiohttp

TERMINAL = {"completed", "failed", "cancelled"}


async def main(n, conc, tag, churn):
    base = os.environ["CLEANLIST_BASE_URL"].rstrip("/")
    headers = {"Authorization": "Bearer " + os.environ["CLEANLIST_API_KEY"]}
    lat, state = [], {"next": 0, "requests": 0, "errors": 0, "issued": 0}
    ctx = None
    if base.startswith("https:"):
        ctx = ssl.create_default_context(cafile=os.environ.get("CLEANLIST_CA_FILE") or None)
    conn = aiohttp.TCPConnector(limit=conc, ssl=ctx if ctx else True)
    close_hdr = {"Connection": "close"}

    def extra():  # every churn-th request of the run closes its connection
        state["issued"] += 1
        return close_hdr if churn > 0 and state["issued"] % churn == 0 else None

    async with aiohttp.ClientSession(connector=conn, headers=headers) as s:
        async def worker():
            while state["next"] < n:
                i = state["next"]; state["next"] += 1
                t0 = time.perf_counter()
                async with s.post(base + "/enrichment/person", json={"email": f"p{i}.{tag}@bench.example"}, headers=extra()) as r:
                    body = await r.json()
                lat.append(time.perf_counter() - t0); state["requests"] += 1
                if r.status >= 300:
                    state["errors"] += 1; continue
                wf = body["workflow_id"]
                while True:
                    t0 = time.perf_counter()
                    async with s.get(base + "/enrichment/status/" + wf, headers=extra()) as r:
                        st = await r.json()
                    lat.append(time.perf_counter() - t0); state["requests"] += 1
                    if r.status >= 300:
                        state["errors"] += 1; break
                    if st.get("status") in TERMINAL:
                        break
        ru0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(conc, n))))
        wall = time.perf_counter() - t0; ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    lat.sort(); req = state["requests"]
    p = lambda q: lat[int(q * (len(lat) - 1))] * 1000 if lat else 0
    print(f"RESULT name=aiohttp mode=enrich n={n} concurrency={conc} churn_k={churn} requests={req} errors={state['errors']} "
          f"wall_s={wall:.3f} rps={req / wall:.0f} cpu_s_per_1k={cpu * 1000 / max(1, req):.4f} p50_ms={p(0.5):.3f} "
          f"p99_ms={p(0.99):.3f} peak_rss_kb={ru1.ru_maxrss}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "py",
                     int(sys.argv[4]) if len(sys.argv) > 4 else 0))
