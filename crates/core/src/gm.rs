//! 国密 (commercial cryptography, GB/T 39786-2021) for what the store keeps: SM3 hashes
//! (GB/T 32905-2016), HMAC-SM3 (RFC 2104 over SM3), and SM4 (GB/T 32907-2016) to encrypt a
//! sensitive value at rest — SM4 in counter mode with a random nonce, authenticated by HMAC-SM3
//! over the nonce and the ciphertext (encrypt-then-MAC), the two keys drawn from one key.
//! RustCrypto's `sm3` and `sm4` crates, checked here against the standards' test vectors.

use hmac::{KeyInit, Mac};
use sm3::{Digest, Sm3};
use sm4::cipher::BlockCipherEncrypt;

/// SM3 of `data`, hex.
pub fn sm3_hex(data: &[u8]) -> String {
    hex::encode(Sm3::digest(data))
}

/// HMAC-SM3 of `message` under `key`, hex.
pub fn hmac_sm3(key: &[u8], message: &[u8]) -> String {
    hex::encode(hmac_sm3_bytes(key, message))
}

fn hmac_sm3_bytes(key: &[u8], message: &[u8]) -> Vec<u8> {
    // An HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    match hmac::Hmac::<Sm3>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// One SM4 block encrypted under a 128-bit key (the building block of [`seal`]; exposed for the
/// standard's test vector).
pub fn sm4_encrypt_block(key: &[u8; 16], block: &[u8; 16]) -> [u8; 16] {
    let cipher = sm4::Sm4::new(key.into());
    let mut b = sm4::cipher::Block::<sm4::Sm4>::from(*block);
    cipher.encrypt_block(&mut b);
    b.into()
}

/// A key for sealing values at rest: 32 bytes, from which the SM4 key and the HMAC-SM3 key are
/// drawn apart.
#[derive(Clone)]
pub struct SealKey {
    cipher: [u8; 16],
    mac: [u8; 32],
    /// A short name of the key (its SM3 prefix), stored beside each sealed value, so that a value
    /// sealed under an older key is known for what it is when keys are rotated.
    pub id: String,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({})", self.id)
    }
}

/// The prefix of every sealed value: the scheme and the key's id, then nonce, ciphertext and tag.
const SEALED_PREFIX: &str = "sm4$";

impl SealKey {
    /// The key from its 32 bytes (kept outside the store: a file or the environment).
    pub fn from_bytes(bytes: &[u8; 32]) -> SealKey {
        let derive = |label: &[u8]| hmac_sm3_bytes(bytes, label);
        let c = derive(b"frontline-seal-cipher");
        let m = derive(b"frontline-seal-mac");
        let mut cipher = [0u8; 16];
        cipher.copy_from_slice(&c[..16]);
        let mut mac = [0u8; 32];
        mac.copy_from_slice(&m[..32]);
        let id = sm3_hex(&m)[..8].to_string();
        SealKey { cipher, mac, id }
    }

    /// The key from its hex form (64 hex digits), as kept in a key file or `FRONTLINE_SEAL_KEY`.
    pub fn from_hex(text: &str) -> Option<SealKey> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Some(SealKey::from_bytes(&bytes))
    }

    fn keystream_xor(&self, nonce: &[u8; 12], data: &mut [u8]) {
        for (i, chunk) in data.chunks_mut(16).enumerate() {
            let mut counter = [0u8; 16];
            counter[..12].copy_from_slice(nonce);
            counter[12..].copy_from_slice(&(i as u32).to_be_bytes());
            let stream = sm4_encrypt_block(&self.cipher, &counter);
            for (b, s) in chunk.iter_mut().zip(stream) {
                *b ^= s;
            }
        }
    }

    /// Seals `plain` with a fresh `nonce` (12 random bytes from the caller): `sm4$<key id>$<hex>`.
    pub fn seal(&self, plain: &str, nonce: [u8; 12]) -> String {
        let mut body = plain.as_bytes().to_vec();
        self.keystream_xor(&nonce, &mut body);
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&body);
        let tag = hmac_sm3_bytes(&self.mac, &sealed);
        sealed.extend_from_slice(&tag[..16]);
        format!("{SEALED_PREFIX}{}${}", self.id, hex::encode(sealed))
    }

    /// Opens a value this key sealed; `None` if it was sealed under another key, altered, or is
    /// not a sealed value.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let rest = sealed.strip_prefix(SEALED_PREFIX)?;
        let (id, body) = rest.split_once('$')?;
        if id != self.id {
            return None;
        }
        let bytes = hex::decode(body).ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (signed, tag) = bytes.split_at(bytes.len() - 16);
        let expected = hmac_sm3_bytes(&self.mac, signed);
        let same = expected[..16].iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if !same {
            return None;
        }
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&signed[..12]);
        let mut plain = signed[12..].to_vec();
        self.keystream_xor(&nonce, &mut plain);
        String::from_utf8(plain).ok()
    }
}

/// Whether a stored value is sealed (and under which key id).
pub fn sealed_key_id(value: &str) -> Option<&str> {
    value.strip_prefix(SEALED_PREFIX)?.split_once('$').map(|(id, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_s_examples() {
        // GB/T 32905-2016, appendix A: "abc" and "abcd" sixteen times.
        assert_eq!(sm3_hex(b"abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        assert_eq!(
            sm3_hex("abcd".repeat(16).as_bytes()),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn sm4_matches_the_standard_s_example() {
        // GB/T 32907-2016, appendix A, example 1: key and plaintext 0123456789abcdeffedcba9876543210.
        let k: [u8; 16] = hex::decode("0123456789abcdeffedcba9876543210").unwrap().try_into().unwrap();
        let c = sm4_encrypt_block(&k, &k);
        assert_eq!(hex::encode(c), "681edf34d206965e86b3e94f536e4246");
    }

    #[test]
    fn hmac_sm3_follows_rfc_2104() {
        // Key "key" over the classic sentence, the value OpenSSL 3 gives
        // (`echo -n 'The quick brown fox jumps over the lazy dog' | openssl dgst -sm3 -hmac key`)
        // and Python's `hmac.new(b"key", ..., "sm3")`.
        assert_eq!(
            hmac_sm3(b"key", b"The quick brown fox jumps over the lazy dog"),
            "bd4a34077888162b210645b8ebf74b9af357303789357a27c7fc457244ebd398"
        );
    }

    #[test]
    fn a_sealed_value_opens_only_under_its_key_and_unaltered() {
        let key = SealKey::from_bytes(&[7u8; 32]);
        let other = SealKey::from_bytes(&[8u8; 32]);
        let sealed = key.seal("13812345678", [1u8; 12]);
        assert!(sealed.starts_with("sm4$"));
        assert!(!sealed.contains("13812345678"));
        assert_eq!(sealed_key_id(&sealed), Some(key.id.as_str()));
        assert_eq!(key.open(&sealed).as_deref(), Some("13812345678"));
        assert_eq!(other.open(&sealed), None, "another key");
        let mut altered = sealed.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == '0' { '1' } else { '0' });
        assert_eq!(key.open(&altered), None, "an altered value");
        assert_ne!(key.seal("13812345678", [2u8; 12]), sealed, "a fresh nonce, a fresh value");
        assert_eq!(key.open(&key.seal("", [3u8; 12])).as_deref(), Some(""));
        let long = "很长的住户回答".repeat(20);
        assert_eq!(key.open(&key.seal(&long, [4u8; 12])).as_deref(), Some(long.as_str()));
    }
}
