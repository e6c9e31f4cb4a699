-- wrk script for the load generator's own ceiling: the same loop against an endpoint that does nothing.
function done(summary, latency, requests)
  io.write(string.format("RESULT {\"requests\":%d,\"rps\":%.2f,\"p50\":%.3f,\"p99\":%.3f}\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
