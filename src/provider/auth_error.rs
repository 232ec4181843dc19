//! Google's error page as its `authError` redirect parameter carries it
//! (`/signin/oauth/error?authError=…`): one decoder for `diagnose` (a pasted page URL) and
//! the live probes (a redirect to the page).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

/// Google's error page, decoded from its `authError` parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthError {
    pub error: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u64>,
    /// The request details the page lists (`redirect_uri=…`).
    pub details: Vec<(String, String)>,
    /// The longer text shown to the app's developer, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub developer_message: Option<String>,
}

impl AuthError {
    /// Decodes `authError`: base64url of a protobuf message whose field 1 is the error code, 2 the
    /// description, 4 the HTTP status, 5 the request details (name, value) and 6 a message for
    /// the developer (its field 2). Observed in public reports (onyx-dot-app/onyx #7854,
    /// AlistGo/alist #3259); Google documents none of it, so unknown fields are skipped.
    pub fn decode(value: &str) -> Option<Self> {
        // a pasted value is often cut short: keep the base64 characters (of either alphabet),
        // and drop a last incomplete one (a length of 1 mod 4 cannot be base64)
        let value = value.trim();
        let end = value
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_+/".contains(c)))
            .unwrap_or(value.len());
        let mut kept: String = value[..end]
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                other => other,
            })
            .collect();
        if kept.len() % 4 == 1 {
            kept.pop();
        }
        let bytes = URL_SAFE_NO_PAD.decode(kept).ok()?;
        let fields = protobuf_fields(&bytes)?;
        let text = |field: u64| {
            fields.iter().find_map(|(f, v)| match v {
                Wire::Bytes(b) if *f == field => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
        };
        let error = text(1)?;
        if error.is_empty() || !error.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return None;
        }
        let status = fields.iter().find_map(|(f, v)| match v {
            Wire::Varint(n) if *f == 4 => Some(*n),
            _ => None,
        });
        let details = fields
            .iter()
            .filter_map(|(f, v)| match v {
                Wire::Bytes(b) if *f == 5 => {
                    let inner = protobuf_fields(b)?;
                    let get = |n: u64| {
                        inner.iter().find_map(|(f, v)| match v {
                            Wire::Bytes(b) if *f == n => Some(String::from_utf8_lossy(b).into_owned()),
                            _ => None,
                        })
                    };
                    Some((get(1)?, get(2).unwrap_or_default()))
                }
                _ => None,
            })
            .collect();
        let developer_message = fields.iter().find_map(|(f, v)| match v {
            Wire::Bytes(b) if *f == 6 => protobuf_fields(b)?.into_iter().find_map(|(f, v)| match v {
                Wire::Bytes(b) if f == 2 => Some(String::from_utf8_lossy(&b).into_owned()),
                _ => None,
            }),
            _ => None,
        });
        Some(Self {
            error,
            description: text(2).unwrap_or_default(),
            status,
            details,
            developer_message,
        })
    }
}

enum Wire {
    Varint(u64),
    Bytes(Vec<u8>),
}

/// The top-level fields of a protobuf message; `None` if none can be read. A message cut
/// short (a truncated paste) or malformed further on yields the fields before that point.
fn protobuf_fields(bytes: &[u8]) -> Option<Vec<(u64, Wire)>> {
    let mut fields = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let Some(key) = varint(bytes, &mut i) else { break };
        let (field, wire) = (key >> 3, key & 7);
        if field == 0 {
            break;
        }
        let next = match wire {
            0 => varint(bytes, &mut i).map(|v| fields.push((field, Wire::Varint(v)))),
            1 => i.checked_add(8).filter(|&e| e <= bytes.len()).map(|e| i = e),
            2 => varint(bytes, &mut i)
                .and_then(|len| usize::try_from(len).ok())
                .and_then(|len| i.checked_add(len))
                .filter(|&e| e <= bytes.len())
                .map(|end| {
                    fields.push((field, Wire::Bytes(bytes[i..end].to_vec())));
                    i = end;
                }),
            5 => i.checked_add(4).filter(|&e| e <= bytes.len()).map(|e| i = e),
            _ => None,
        };
        if next.is_none() {
            break;
        }
    }
    (!fields.is_empty()).then_some(fields)
}

fn varint(bytes: &[u8], i: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*i)?;
        *i += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}
