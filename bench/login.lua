-- wrk script for bench/mock-throughput: every request is the mock runtime's sign-in,
-- POST /xas/ with alice's JSON login, on keep-alive connections (wrk's default).
-- wrk keeps no cookies, so each request is a fresh login.

wrk.method = "POST"
wrk.body = '{"action":"login","params":{"username":"alice","password":"s3cret"}}'
wrk.headers["Content-Type"] = "application/json"

-- One machine-readable line after wrk's own summary; bench/mock-throughput parses it.
-- Latencies are in microseconds; "status" counts responses that were neither 2xx nor 3xx.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "MXBENCH requests=%d duration_s=%.3f rps=%.1f p50_us=%.0f p99_us=%.0f max_us=%.0f " ..
    "status=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
