//! `serve` under 64 concurrent clients: interleaved first and repeat grants for the same and
//! for different users lose no grant, duplicate none, evict exactly the oldest refresh
//! tokens past the per-client limit, and see what a sequential run sees.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use super::serve_process::ServeProcess;

const REDIRECT: &str = "https://app.example.com/cb";
const SECRET: &str = "concurrency-secret";
/// Clients sharing one user; each makes `HOT_GRANTS` forced-consent grants.
const HOT_CLIENTS: usize = 32;
const HOT_GRANTS: usize = 4;
/// Clients with a user of their own; each makes a first and a repeat grant.
const OWN_CLIENTS: usize = 32;

/// What one grant looked like to its client.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    consent_screen: String,
    refresh_token: Option<String>,
    /// When the token request went out and when its answer was in: a grant whose answer
    /// came before another's request was issued first, whatever the server's token values.
    sent: Instant,
    received: Instant,
}

async fn grant(http: &reqwest::Client, base: &str, user: &str, force: bool) -> Grant {
    let mut url = url::Url::parse(&format!("{base}/o/oauth2/v2/auth")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("client_id", "concurrency"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("access_type", "offline"),
        ("state", "s"),
    ]);
    if force {
        url.query_pairs_mut().append_pair("prompt", "consent");
    }
    let response = http
        .get(url)
        .header("x-oauth-drift-user", user)
        .send()
        .await
        .expect("authorize answers");
    let consent_screen = response.headers()["x-oauth-drift-consent-screen"]
        .to_str()
        .unwrap()
        .to_string();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let code = crate::support::redirect_param(&location, "code").expect("a code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("client_id", "concurrency"),
        ("client_secret", SECRET),
    ];
    let sent = Instant::now();
    let body: serde_json::Value = serde_json::from_slice(
        &http
            .post(format!("{base}/token"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let received = Instant::now();
    let refresh_token = body.get("refresh_token").and_then(|t| t.as_str()).map(str::to_string);
    Grant {
        consent_screen,
        refresh_token,
        sent,
        received,
    }
}

async fn refresh_works(http: &reqwest::Client, base: &str, token: &str) -> bool {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", "concurrency"),
        ("client_secret", SECRET),
    ];
    http.post(format!("{base}/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

/// Runs every client's script, all at once or one after another; returns each client's grants.
async fn workload(base: &str, concurrent: bool) -> Vec<Vec<Grant>> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let script = |client: usize| {
        let (http, base) = (http.clone(), base.to_string());
        async move {
            let mut grants = Vec::new();
            if client < HOT_CLIENTS {
                for _ in 0..HOT_GRANTS {
                    grants.push(grant(&http, &base, "hot", true).await);
                }
            } else {
                let user = format!("own{client}");
                grants.push(grant(&http, &base, &user, false).await);
                grants.push(grant(&http, &base, &user, false).await);
            }
            grants
        }
    };
    let clients = HOT_CLIENTS + OWN_CLIENTS;
    if concurrent {
        let tasks: Vec<_> = (0..clients).map(|c| tokio::spawn(script(c))).collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.expect("a client task"));
        }
        out
    } else {
        let mut out = Vec::new();
        for c in 0..clients {
            out.push(script(c).await);
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_clients_lose_and_duplicate_nothing() {
    let serve = ServeProcess::start_with_env(
        &[
            "--quiet",
            "--client-id",
            "concurrency",
            "--client-type",
            "web",
            "--redirect-uri",
            REDIRECT,
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", SECRET)],
    );
    let base = serve.base.clone();
    let http = reqwest::Client::new();

    let concurrent = workload(&base, true).await;
    let grants: serde_json::Value = serde_json::from_slice(
        &http
            .get(format!("{base}/_oauth-drift/grants"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();

    // no grant lost or duplicated: one per user, every refresh token distinct
    let listed: BTreeMap<String, u64> = grants["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["user"].as_str().unwrap().to_string(),
                g["live_refresh_tokens"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 1 + OWN_CLIENTS, "{listed:?}");
    assert!(
        listed
            .iter()
            .filter(|(user, _)| user.starts_with("own"))
            .all(|(_, live)| *live == 1)
    );
    let hot: Vec<&Grant> = concurrent[..HOT_CLIENTS].iter().flatten().collect();
    assert!(hot.iter().all(|g| g.refresh_token.is_some()));
    assert_eq!(hot.len(), HOT_CLIENTS * HOT_GRANTS);
    assert_eq!(
        hot.iter().map(|g| &g.refresh_token).collect::<HashSet<_>>().len(),
        hot.len(),
        "duplicated refresh token"
    );

    // the per-client limit kept exactly 100, and only the newest: every token issued after a
    // live one (its request left after the live one's answer came) is live too. Token values
    // are random, so the issue order comes from what the clients saw.
    let limit = 100;
    assert_eq!(listed["hot"], limit as u64);
    let mut live = Vec::new();
    for grant in &hot {
        live.push(refresh_works(&http, &base, grant.refresh_token.as_deref().unwrap()).await);
    }
    assert_eq!(
        live.iter().filter(|l| **l).count(),
        limit,
        "exactly the limit stays live"
    );
    for (older, older_live) in hot.iter().zip(&live) {
        for (newer, newer_live) in hot.iter().zip(&live) {
            if older.received < newer.sent && *older_live {
                assert!(newer_live, "a token outlived one issued after it");
            }
        }
    }

    // every client saw what it sees when the same workload runs one client at a time
    http.post(format!("{base}/_oauth-drift/reset")).send().await.unwrap();
    let sequential = workload(&base, false).await;
    let shape = |runs: &[Vec<Grant>]| -> Vec<Vec<(String, bool)>> {
        runs.iter()
            .map(|g| {
                g.iter()
                    .map(|g| (g.consent_screen.clone(), g.refresh_token.is_some()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(shape(&concurrent), shape(&sequential));
    assert!(
        shape(&concurrent)[HOT_CLIENTS..]
            .iter()
            .all(|g| g == &[("shown".to_string(), true), ("skipped".to_string(), false)])
    );
    drop(serve);
}
