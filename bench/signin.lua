-- wrk script: POST /api/v1/session for users PREFIX1..PREFIXN with one password.
--   wrk -t2 -c8 -d10s -s bench/signin.lua http://127.0.0.1:PORT -- PREFIX N PASSWORD
-- With a wrong PASSWORD this is the attacker's flood. Each connection walks the users in turn.
local counter = 0

function setup(thread)
    thread:set("tid", counter)
    counter = counter + 1
end

function init(args)
    prefix = args[1] or "bench"
    count = tonumber(args[2] or "50")
    password = args[3] or ""
    i = tid
    headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
end

function request()
    i = i % count + 1
    local body = string.format('{"username":"%s%d","password":"%s"}', prefix, i, password)
    return wrk.format("POST", "/api/v1/session", headers, body)
end
