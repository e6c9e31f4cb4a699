-- wrk script: GET one path with the tenant key. args: <path> <api key>
function init(args)
  path = args[1]
  key = args[2]
  ok = 0
  bad = 0
end

function request()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
end

function response(status)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("RESULT {\"requests\":%d,\"ok\":%d,\"failed\":%d,\"rps\":%.2f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f}\n",
    summary.requests, o, b, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
