-- wrk script: POST a manual debit of 1 credit to a random bank, each with its own Idempotency-Key.
-- Counts answers by status so the runner can check nothing was lost or doubled.
-- thread_id is set per thread by setup(); counter and the tallies are per-thread globals.
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wallets = tonumber(args[1]) or 1000
  key = args[2]
  run_id = args[3] or "run"
  created = 0
  refused = 0
  failed = 0
  counter = 0
  replayed = 0
  math.randomseed(os.time() + thread_id * 7919)
end

function request()
  counter = counter + 1
  local owner = "org:" .. math.random(1, wallets)
  local headers = {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run_id .. "-" .. thread_id .. "-" .. counter,
  }
  return wrk.format("POST", "/v1/wallets/" .. owner .. "/debits", headers, '{"kind":"manual","amount":1,"reason":"bench"}')
end

function response(status, headers, body)
  if headers["idempotent-replayed"] or headers["Idempotent-Replayed"] then replayed = replayed + 1 end
  if status == 201 then created = created + 1
  elseif status < 500 then refused = refused + 1
  else failed = failed + 1 end
end

function done(summary, latency, requests)
  local c, r, f, p = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    r = r + t:get("refused")
    f = f + t:get("failed")
    p = p + t:get("replayed")
  end
  io.write(string.format("RESULT {\"requests\":%d,\"created\":%d,\"replayed\":%d,\"refused\":%d,\"failed\":%d,\"rps\":%.2f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"socketErrors\":%d}\n",
    summary.requests, c, p, r, f, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
