-- One wrk script for every phase of bench/bench.py (read by each wrk thread).
-- Environment:
--   BENCH_MODE     tasks (GET BENCH_PATH with a Bearer token, rotating over BENCH_TOKENS' lines),
--                  cookie (the same tokens as a browser sends them: `Cookie: todo_session=<token>`),
--                  login (POST /api/auth/login rotating over the users of BENCH_USERS) or plain (GET BENCH_PATH)
--   BENCH_PATH     the path for tasks/plain (default /api/tasks)
--   BENCH_DELAY_MS pause before each request on a connection (paced, "offered load" runs); 0 = closed loop
--   BENCH_OUT      file the summary is appended to as one JSON line
local mode = os.getenv("BENCH_MODE") or "tasks"
local path = os.getenv("BENCH_PATH") or "/api/tasks"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0") or 0
local password = os.getenv("BENCH_PASSWORD") or ""
local items = {}

local function lines(file)
  local out = {}
  local f = assert(io.open(file, "r"))
  for line in f:lines() do
    if #line > 0 then out[#out + 1] = line end
  end
  f:close()
  return out
end

if mode == "tasks" or mode == "cookie" then
  items = lines(os.getenv("BENCH_TOKENS"))
elseif mode == "login" then
  items = lines(os.getenv("BENCH_USERS"))
end

local i = 0
local prepared = {}

function init(args)
  -- threads start at different places in the rotation
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
  if #items > 0 then i = math.random(#items) end
  if mode == "tasks" then
    for k, token in ipairs(items) do
      prepared[k] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
    end
  elseif mode == "cookie" then
    for k, token in ipairs(items) do
      prepared[k] = wrk.format("GET", path, { ["Cookie"] = "todo_session=" .. token })
    end
  elseif mode == "login" then
    for k, email in ipairs(items) do
      local body = '{"email":"' .. email .. '","password":"' .. password .. '"}'
      prepared[k] = wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" }, body)
    end
  else
    prepared[1] = wrk.format("GET", path)
  end
end

function request()
  i = i % #prepared + 1
  return prepared[i]
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local out = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean)
  local file = os.getenv("BENCH_OUT")
  if file then
    local f = assert(io.open(file, "a"))
    f:write(out .. "\n")
    f:close()
  else
    io.write(out .. "\n")
  end
end
