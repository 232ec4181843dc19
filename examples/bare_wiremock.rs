//! The "bare wiremock" of benches/fake_google.sh: a wiremock server answering every request
//! with one static token-endpoint body, no parsing, no state: issue 11 states serve's target
//! without `openid` against it (examples/bare_static.rs is the stricter bare hyper server).
//!
//! Prints its base URL on stdout's first line and serves until killed.

use std::io::Write;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const BODY: &str = r#"{"access_token":"ya29.static","expires_in":3599,"scope":"https://www.googleapis.com/auth/drive.file","token_type":"Bearer"}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(BODY, "application/json; charset=utf-8"))
        .mount(&server)
        .await;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", server.uri())?;
    stdout.flush()?;
    std::future::pending::<()>().await;
    Ok(())
}
