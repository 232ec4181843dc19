//! `serve`: a provider model as a standalone fake provider on loopback.
//!
//! The model stays the single source of truth: this module only binds a listener, registers
//! clients, writes the client-secrets file an app reads, and words the access log. Every
//! answer comes from the same engine and responder the scenario runner uses.

mod clients;
mod log;
mod server;
mod tls;

pub use clients::{ClientsError, client_secrets, generate_client, load_clients, write_client_secrets};
pub use log::{access_line, redact_pairs};
pub use server::{Serve, ServeConfig, ServeError};
pub use tls::{LOOPBACK_NAMES, LocalTls, TlsError, local_tls};
