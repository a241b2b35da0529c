-- wrk script for bench/web.py: each wrk thread acts as one logged-in branch user.
--
--   wrk ... -s bench/wrk_users.lua <url> -- <config.lua> <mode>
--
-- <config.lua> (written by bench/web.py) returns
--   { user_agent = "...", users = { { cookie = "...", csrf = "...", page = "/selfcheck/1/x",
--     autosave = "/selfcheck/1/autosave" }, ... }, answers = { '{"L01": "3"}', ... } }
-- <mode> is "page" (GET the user's pillar page), "save" (POST autosave {"answers": …,
-- "seq": …, "writer": …} with the answers in turn, so every save changes a value) or "plain" (GET the
-- url's path, no cookie, no config needed: the bare app).
-- Every response status is counted per thread; done() prints one line "BENCH_RESULT {json}".

local threads = {}
local counter = 0

function setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local requests = {}
local answers = {}
local next_request = 1
local save_path, save_headers, seq, writer
statuses = {}
stale = 0

function init(args)
   local mode = args[2]
   if mode == "plain" then
      requests[1] = wrk.format("GET", nil, { ["User-Agent"] = "selfcheck-bench" })
      return
   end
   local config = dofile(args[1])
   local headers = { ["User-Agent"] = config.user_agent }
   local user = config.users[(thread_index % #config.users) + 1]
   headers["Cookie"] = user.cookie
   if mode == "page" then
      requests[1] = wrk.format("GET", user.page, headers)
   elseif mode == "save" then
      save_path = user.autosave
      save_headers = headers
      headers["Content-Type"] = "application/json"
      headers["Accept"] = "application/json"
      headers["X-CSRFToken"] = user.csrf
      -- Threads start at different places in the rotation.
      local n = #config.answers
      for i = 1, n do
         answers[i] = config.answers[((i + thread_index * 7 - 1) % n) + 1]
      end
      -- Like a page load, each thread is one writer that counts its saves 1, 2, 3, …
      writer = string.format("wrk%d-%d", thread_index, os.time())
      seq = 0
   else
      error("unknown mode " .. tostring(mode))
   end
end

function request()
   if save_path then
      seq = seq + 1
      local body = string.format('{"answers": %s, "seq": %d, "writer": "%s"}', answers[next_request], seq, writer)
      next_request = next_request % #answers + 1
      return wrk.format("POST", save_path, save_headers, body)
   end
   return requests[1]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   -- a 200 save that skipped an answer as stale did not write it
   if save_path and status == 200 and not string.find(body, '"stale":[]', 1, true) then
      stale = stale + 1
   end
end

function done(summary, latency, _requests)
   local total = {}
   local stale_total = 0
   for _, thread in ipairs(threads) do
      stale_total = stale_total + thread:get("stale")
      local counts = thread:get("statuses")
      for status, n in pairs(counts) do
         total[status] = (total[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(total) do
      table.insert(parts, string.format('"%d": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "stale": %d, "statuses": {%s}, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"p50": %d, "p99": %d, "max": %d}}\n',
      summary.requests, summary.duration, summary.bytes, stale_total, table.concat(parts, ", "),
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(99), latency.max))
end
