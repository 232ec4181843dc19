//! `serve`: a provider model as a standalone fake provider on loopback.
//!
//! The model stays the single source of truth: this module only binds a listener, registers
//! clients, writes the client-secrets file an app reads, and words the access log. Every
//! answer comes from the same engine and responder the scenario runner uses.

mod clients;
mod log;
mod server;
mod tls;

pub use clients::{generate_client, load_clients, write_client_secrets};
pub use log::access_line;
pub use server::{Serve, ServeConfig};
pub use tls::{LOOPBACK_NAMES, local_tls};
