//! The RS256 key that signs id_tokens, and the documents that publish it (JWKS, PEM certs).
//!
//! Signing uses aws-lc-rs: on this project's benchmark machine it signed RSA-2048 about twice
//! as fast as ring and five times as fast as the `rsa` crate (BENCHMARKS.md, "serve as a
//! signing fake Google"), and signing is what bounds a token endpoint that returns id_tokens.

use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Why a signing key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM private key (expected `-----BEGIN RSA PRIVATE KEY-----` or `-----BEGIN PRIVATE KEY-----`)")]
    NotPem,
    #[error("the PEM key is not an RSA key (id_tokens are RS256): {0}")]
    NotRsa(String),
    #[error("the RSA key is {bits} bits; RS256 signing keys here are 2048 bits or more")]
    TooShort { bits: usize },
    #[error("failed to generate an RSA-2048 key")]
    Generate,
    #[error("failed to make the X.509 certificate that wraps the signing key")]
    Certificate(#[source] rcgen::Error),
}

/// An RSA key pair with its key id, as Google publishes its id_token signing keys.
pub struct SigningKey {
    key: KeyPair,
    rng: SystemRandom,
    kid: String,
    /// `base64url({"alg":"RS256","kid":…,"typ":"JWT"})`, the same for every token.
    header: String,
    jwk: Value,
    cert_pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh RSA-2048 key (what `serve` makes per process unless given `--signing-key`).
    pub fn generate() -> Result<Self, KeyError> {
        let key = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        Self::from_key(key)
    }

    /// Reads a PEM RSA private key: PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`).
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        Self::from_key(Self::read_pem(pem)?)
    }

    fn read_pem(pem: &[u8]) -> Result<KeyPair, KeyError> {
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|_| KeyError::NotPem)?;
        let key = match &der {
            PrivateKeyDer::Pkcs1(der) => KeyPair::from_der(der.secret_pkcs1_der()),
            PrivateKeyDer::Pkcs8(der) => KeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Sec1(_) => return Err(KeyError::NotRsa("an elliptic-curve (SEC1) key".into())),
            _ => return Err(KeyError::NotRsa("an unknown key type".into())),
        }
        .map_err(|e| KeyError::NotRsa(e.to_string()))?;
        let bits = key.public_modulus_len() * 8;
        if bits < 2048 {
            return Err(KeyError::TooShort { bits });
        }
        Ok(key)
    }

    /// The published test key of engines that were given none: the in-process model of
    /// `run`, and the predictions of `diagnose`, `compare` and `probe`. Its private half is
    /// in the repository (`src/provider/model_signing_key.pem`) and is no secret: anyone can
    /// sign a token that verifies against it, which is harmless for a model that lives
    /// inside one process and answers only its own runner. Generating an RSA-2048 key costs
    /// 100–400 ms, more than the whole bundled suite; reading this one costs well under a
    /// millisecond. `serve` never uses it: it makes a key per process (or reads
    /// `--signing-key`), since apps verify what it signs.
    pub fn model() -> Result<Arc<Self>, KeyError> {
        static MODEL: OnceLock<Option<Arc<SigningKey>>> = OnceLock::new();
        MODEL
            .get_or_init(|| {
                let key = Self::read_pem(MODEL_KEY_PEM.as_bytes()).ok()?;
                Self::with_certificate(key, MODEL_CERT_PEM.to_string())
                    .ok()
                    .map(Arc::new)
            })
            .clone()
            .ok_or(KeyError::Generate)
    }

    /// Signs once with the model's key on a side thread, so that what a process's first
    /// signature costs (reading the key, seeding the crypto library's random generator that
    /// RSA blinding needs, the key's Montgomery tables) is paid while `run` loads its
    /// scenarios, not by the first cases, whose server waits for it.
    pub fn warm_up() {
        std::thread::spawn(|| {
            if let Ok(key) = Self::model() {
                let _ = key.sign(&Map::new());
            }
        });
    }

    /// The process-wide generated key (`serve` as a library, given no key): made once, on
    /// first use.
    pub fn shared() -> Result<Arc<Self>, KeyError> {
        // get_or_init makes concurrent first callers (a run's cases) wait for one key
        // instead of each generating its own
        static SHARED: OnceLock<Option<Arc<SigningKey>>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::generate().ok().map(Arc::new))
            .clone()
            .ok_or(KeyError::Generate)
    }

    fn from_key(key: KeyPair) -> Result<Self, KeyError> {
        let pkcs8: Pkcs8V1Der<'static> = key.as_der().map_err(|_| KeyError::Generate)?;
        let cert_pem = self_signed_pem(pkcs8.as_ref()).map_err(KeyError::Certificate)?;
        Self::with_certificate(key, cert_pem)
    }

    fn with_certificate(key: KeyPair, cert_pem: String) -> Result<Self, KeyError> {
        let public = key.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        // Google's kids are 40 hex digits; a digest of the public key keeps one key's kid stable
        let digest = Sha256::digest(format!("{n}.{e}").as_bytes());
        let kid: String = digest[..20].iter().map(|b| format!("{b:02x}")).collect();
        let header = URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&json!({"alg": "RS256", "kid": kid, "typ": "JWT"})).unwrap_or_default());
        let jwk = json!({"alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig"});
        Ok(Self {
            key,
            rng: SystemRandom::new(),
            kid,
            header,
            jwk,
            cert_pem,
        })
    }

    /// The key id every token's header names.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWK Set Google serves at `/oauth2/v3/certs`.
    pub fn jwks(&self) -> Value {
        json!({"keys": [self.jwk]})
    }

    /// The kid → PEM certificate map Google serves at `/oauth2/v1/certs`.
    pub fn pem_certs(&self) -> Value {
        json!({ self.kid.as_str(): self.cert_pem })
    }

    /// The header and claims of a token this key signed, if its signature holds.
    pub fn verify(&self, token: &str) -> Option<(Map<String, Value>, Map<String, Value>)> {
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, payload) = signed.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let public = self.key.public_key();
        let components = aws_lc_rs::signature::RsaPublicKeyComponents {
            n: public.modulus().big_endian_without_leading_zero(),
            e: public.exponent().big_endian_without_leading_zero(),
        };
        components
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &signature,
            )
            .ok()?;
        let decode = |part: &str| -> Option<Map<String, Value>> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
        };
        Some((decode(header)?, decode(payload)?))
    }

    /// A compact JWS (RS256) of `claims`.
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let input = format!("{}.{payload}", self.header);
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        // fails only when the buffer is the wrong size, which it is not
        let _ = self
            .key
            .sign(&RSA_PKCS1_SHA256, &self.rng, input.as_bytes(), &mut signature);
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// The in-process model's published test key (see [`SigningKey::model`]) and its
/// self-signed certificate, made once by `self_signed_pem` and kept beside it.
const MODEL_KEY_PEM: &str = include_str!("model_signing_key.pem");
const MODEL_CERT_PEM: &str = include_str!("model_signing_cert.pem");

/// A self-signed X.509 certificate for the key, as PEM (Google's v1 certs are certificates).
fn self_signed_pem(pkcs8: &[u8]) -> Result<String, rcgen::Error> {
    let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(pkcs8), &rcgen::PKCS_RSA_SHA256)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "oauth-drift id_token signing key");
    Ok(params.self_signed(&key)?.pem())
}

/// The `at_hash` of an access token (OIDC Core §3.1.3.6): the left half of its SHA-256, base64url.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_verifies_with_the_published_key() {
        let key = SigningKey::generate().unwrap();
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("1"));
        let token = key.sign(&claims);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], key.kid());
        assert_eq!(header["alg"], "RS256");
        let jwk = &key.jwks()["keys"][0];
        let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
        let public = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e };
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &signature,
            )
            .expect("the signature verifies with the JWKS key");
        assert!(
            public
                .verify(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, b"other", &signature)
                .is_err()
        );
        let certs = key.pem_certs();
        assert!(
            certs[key.kid()]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
    }

    #[test]
    fn a_key_read_back_from_pem_keeps_its_kid() {
        let key = SigningKey::generate().unwrap();
        let pkcs8: Pkcs8V1Der<'static> = key.key.as_der().unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref())
        );
        let again = SigningKey::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(again.kid(), key.kid());
    }

    #[test]
    fn the_model_key_is_the_published_rsa_2048_key_and_its_certificate_holds_it() {
        let model = SigningKey::model().unwrap();
        let published = SigningKey::from_pem(MODEL_KEY_PEM.as_bytes()).unwrap();
        assert_eq!(model.kid(), published.kid());
        assert_eq!(model.key.public_modulus_len(), 256);
        // the served certificate carries this key's modulus, not another key's
        let cert = rustls_pki_types::CertificateDer::from_pem_slice(MODEL_CERT_PEM.as_bytes()).unwrap();
        let modulus = model
            .key
            .public_key()
            .modulus()
            .big_endian_without_leading_zero()
            .to_vec();
        assert!(cert.windows(modulus.len()).any(|w| w == modulus));
        assert_eq!(model.pem_certs()[model.kid()], MODEL_CERT_PEM);
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("1"));
        assert!(model.verify(&model.sign(&claims)).is_some());
        assert_ne!(SigningKey::generate().unwrap().kid(), model.kid());
    }

    #[test]
    fn an_elliptic_curve_key_is_refused_as_not_rsa() {
        let ec = rcgen::KeyPair::generate().unwrap().serialize_pem();
        let err = SigningKey::from_pem(ec.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("not an RSA key"), "{err}");
    }

    #[test]
    fn at_hash_is_the_left_half_of_the_sha256() {
        // OIDC Core §3.1.3.6; 16 bytes give 22 base64url characters
        assert_eq!(at_hash("ya29.x").len(), 22);
        assert_ne!(at_hash("ya29.x"), at_hash("ya29.y"));
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn from_pem_example() {
        let err = super::SigningKey::from_pem(b"not a key").unwrap_err();
        assert!(err.to_string().contains("not a PEM private key"));
    }
}
