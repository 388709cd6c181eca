// Peer of bench_parallel_enrich --mode enrich with Node's built-in fetch (undici): N person
// enrichments, `concurrency` workers, POST then GET status until terminal, one thread.
// usage: node bench_fetch.mjs N CONCURRENCY TAG [CHURN_K]   (CLEANLIST_BASE_URL, CLEANLIST_API_KEY;
//   https: NODE_EXTRA_CA_CERTS names the CA to trust). CHURN_K > 0: every K-th request asks
//   "connection: close", so a new connection (and TLS handshake) is made every K requests.
const [n, conc, tag] = [Number(process.argv[2] ?? 10000), Number(process.argv[3] ?? 64), process.argv[4] ?? "node"];
const churn = Number(process.argv[5] ?? 0);
const base = process.env.CLEANLIST_BASE_URL.replace(/\/$/, "");
const auth = "Bearer " + process.env.CLEANLIST_API_KEY;
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const lat = [];
let next = 0, requests = 0, errors = 0, issued = 0;
// Every churn-th request of the run closes its connection.
const closing = (h) => (churn > 0 && ++issued % churn === 0 ? { ...h, connection: "close" } : h);

async function worker() {
  while (next < n) {
    const i = next++;
    let t0 = performance.now();
    let r = await fetch(base + "/enrichment/person", {
      method: "POST", headers: closing({ authorization: auth, "content-type": "application/json" }),
      body: JSON.stringify({ email: `p${i}.${tag}@bench.example` }),
    });
    const body = await r.json();
    lat.push(performance.now() - t0); requests++;
    if (!r.ok) { errors++; continue; }
    for (;;) {
      t0 = performance.now();
      r = await fetch(base + "/enrichment/status/" + body.workflow_id, { headers: closing({ authorization: auth }) });
      const st = await r.json();
      lat.push(performance.now() - t0); requests++;
      if (!r.ok) { errors++; break; }
      if (TERMINAL.has(st.status)) break;
    }
  }
}

const cpu0 = process.cpuUsage(); const t0 = performance.now();
await Promise.all(Array.from({ length: Math.min(conc, n) }, worker));
const wall = (performance.now() - t0) / 1000; const cpu = process.cpuUsage(cpu0);
lat.sort((a, b) => a - b);
const p = (q) => (lat.length ? lat[Math.floor(q * (lat.length - 1))] : 0);
const cpuS = (cpu.user + cpu.system) / 1e6;
console.log(`RESULT name=node_fetch mode=enrich n=${n} concurrency=${conc} churn_k=${churn} requests=${requests} errors=${errors} ` +
  `wall_s=${wall.toFixed(3)} rps=${(requests / wall).toFixed(0)} cpu_s_per_1k=${(cpuS * 1000 / Math.max(1, requests)).toFixed(4)} ` +
  `p50_ms=${p(0.5).toFixed(3)} p99_ms=${p(0.99).toFixed(3)} peak_rss_kb=${Math.round(process.resourceUsage().maxRSS)}`);
