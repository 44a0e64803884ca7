-- wrk script for the gateway benchmarks: POST one JSON body, print the result as one JSON line.
--
--   WRK_BODY_FILE=body.json [WRK_HEADERS=$'Authorization: Bearer sk-...\nCache-Control: no-cache'] \
--     wrk -t1 -c8 -d10s -s post.lua URL
--
-- The body is read once from WRK_BODY_FILE; WRK_HEADERS adds headers, one "Name: value" a line.
-- done() prints requests, duration, errors (connect, read, write, timeout, non-2xx status) and
-- latency percentiles in microseconds, so the driver reads numbers rather than wrk's rounded text.

local f = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
for line in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^%s*([^:]+):%s*(.-)%s*$")
  if name then
    wrk.headers[name] = value
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"min_us":%d,"max_us":%d,"mean_us":%.1f,"stdev_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.min, latency.max, latency.mean, latency.stdev))
end
