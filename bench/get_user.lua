-- wrk script: GET /api/v1/users/{id} for random ids in [1, MAX_ID] with a bearer token.
--   wrk -t2 -c32 -d10s --latency -s bench/get_user.lua http://127.0.0.1:8080 -- TOKEN MAX_ID
-- wrk itself reports "Non-2xx or 3xx responses" when any request failed (401, 404, 5xx): the
-- figure is only meaningful without that line. No response() hook, so that wrk does not hand
-- every body to Lua and stays cheap on a machine it shares with the server.

local counter = 1

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
end

function init(args)
    token = args[1] or os.getenv("GH_TOKEN")
    max_id = tonumber(args[2] or os.getenv("GH_MAX_ID") or "1000")
    if token == nil or token == "" then
        error("pass the bearer token after --")
    end
    math.randomseed(os.time() * 1000 + id)
    headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json" }
end

function request()
    return wrk.format("GET", "/api/v1/users/" .. math.random(1, max_id), headers)
end
