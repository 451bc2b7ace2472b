-- wrk script: POSTs Harbor PUSH_ARTIFACT webhooks (Default format), each with a different digest, so every
-- request is a new event (no duplicate short-cut). Usage:
--   AUTH='Basic c2VjcmV0' wrk -t2 -c32 -d15s --latency -s tests/load/webhook-push.lua http://127.0.0.1:8080
local counter = 0
local auth = os.getenv("AUTH") or "Basic c2VjcmV0"
local thread_id = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function request()
  counter = counter + 1
  local digest = string.format("sha256:%016x%016x%032x", thread_id or 0, counter, 0)
  local body = '{"type":"PUSH_ARTIFACT","occur_at":1787217000,"operator":"ci-bot","event_data":{"resources":[{"digest":"'
    .. digest .. '","tag":"v' .. counter .. '","resource_url":"harbor.example.com/load/app:v' .. counter
    .. '"}],"repository":{"date_created":1786000000,"name":"app","namespace":"load","repo_full_name":"load/app","repo_type":"private"}}}'
  return wrk.format("POST", "/webhooks/harbor", { ["Content-Type"] = "application/json", ["Authorization"] = auth }, body)
end

function response(status, headers, body)
  if status ~= 202 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
