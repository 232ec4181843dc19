//! Signs the same JWS input (about 600 bytes, the size of an id_token's header and claims)
//! with one RSA-2048 key through ring, aws-lc-rs and the `rsa` crate, on one thread, for
//! a fixed time each, and prints signatures per second. Each signature is checked once.

use std::time::{Duration, Instant};

use aws_lc_rs::encoding::AsDer;

fn rate(name: &str, seconds: f64, mut sign: impl FnMut() -> Vec<u8>) -> f64 {
    for _ in 0..20 {
        sign(); // warm-up
    }
    let limit = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < limit {
        std::hint::black_box(sign());
        count += 1;
    }
    let per_second = count as f64 / start.elapsed().as_secs_f64();
    println!("{name:<10} {per_second:>9.0} signatures/s (1 thread)");
    per_second
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let message = vec![b'a'; 600];
    let aws = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let pkcs8 = aws.as_der().unwrap();
    let pkcs8: &[u8] = pkcs8.as_ref();

    let aws_rng = aws_lc_rs::rand::SystemRandom::new();
    let aws_sign = || {
        let mut sig = vec![0; aws.public_modulus_len()];
        aws.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &aws_rng, &message, &mut sig).unwrap();
        sig
    };

    let ring_key = ring::rsa::KeyPair::from_pkcs8(pkcs8).unwrap();
    let ring_rng = ring::rand::SystemRandom::new();
    let ring_sign = || {
        let mut sig = vec![0; ring_key.public().modulus_len()];
        ring_key
            .sign(&ring::signature::RSA_PKCS1_SHA256, &ring_rng, &message, &mut sig)
            .unwrap();
        sig
    };

    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let rsa_key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).unwrap();
    let rsa_signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(rsa_key);
    let rsa_sign = || rsa_signer.sign(&message).to_vec();

    // all three produce the same deterministic PKCS#1 v1.5 signature
    let reference = aws_sign();
    assert_eq!(reference, ring_sign(), "ring agrees with aws-lc-rs");
    assert_eq!(reference, rsa_sign(), "rsa agrees with aws-lc-rs");

    let aws = rate("aws-lc-rs", seconds, aws_sign);
    let ring = rate("ring", seconds, ring_sign);
    let rsa = rate("rsa", seconds, rsa_sign);
    println!("ratios: aws-lc-rs/ring {:.2}, aws-lc-rs/rsa {:.2}", aws / ring, aws / rsa);
}
