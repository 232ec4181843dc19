-- wrk script: POST refresh-token grants to a token endpoint.
-- The refresh token comes from the environment (the bench script obtains one first); the
-- path and client credentials too, defaulting to serve_load.sh's.
local function env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then return default end
  return value
end
wrk.method = "POST"
wrk.path = env("TOKEN_PATH", "/token")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=refresh_token&client_id=" .. env("CLIENT_ID", "bench")
  .. "&client_secret=" .. env("CLIENT_SECRET", "bench-secret")
  .. "&refresh_token=" .. os.getenv("REFRESH_TOKEN")
