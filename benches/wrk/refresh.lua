-- wrk script: POST refresh-token grants to serve's token endpoint.
-- The refresh token comes from the environment (the bench script obtains one first).
wrk.method = "POST"
wrk.path = "/token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=refresh_token&client_id=bench&client_secret=bench-secret&refresh_token=" .. os.getenv("REFRESH_TOKEN")
