//! UserSig (TLSSigAPIv2): minting and verifying the signature that authenticates REST calls.
//!
//! The layout follows Tencent's official libraries exactly (docs/service.md#usersig):
//! HMAC-SHA256 over four `TLS.<name>:<value>\n` lines keyed with the raw secret-key bytes, a JSON
//! document carrying the fields and the standard-base64 HMAC, zlib compression, then standard
//! base64 with `+` `/` `=` mapped to `*` `-` `_`. The verifier accepts any zlib level and any JSON
//! field order, because the official libraries differ in both.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::secret::{SecretKey, UserSig};

/// The official libraries' default lifetime: 180 days.
pub const DEFAULT_EXPIRE_SECS: u64 = 180 * 86_400;

/// The longest lifetime timport mints: 180 days, the longest the documentation names (the
/// libraries' default). A UserSig is the admin's password for every REST call; one that never
/// expires (`u64::MAX` seconds) cannot be taken back short of changing the app's key.
pub const MAX_EXPIRE_SECS: u64 = DEFAULT_EXPIRE_SECS;

/// Largest encoded UserSig the verifier will look at; real ones are under 300 characters.
const MAX_ENCODED_LEN: usize = 4096;

/// Why a UserSig was refused. Each maps to the code the service answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not decodable: bad alphabet, bad zlib stream, bad JSON or missing fields (70003).
    #[error("the UserSig cannot be decoded: {0}")]
    Malformed(&'static str),
    /// `now > time + expire` (70001).
    #[error("the UserSig expired at unix time {expired_at}")]
    Expired {
        /// Unix seconds when it stopped being valid.
        expired_at: i64,
    },
    /// Signed for another identifier than the request names (70013).
    #[error("the UserSig was made for another identifier")]
    IdentifierMismatch,
    /// Signed for another SDKAppID than the request names (70014).
    #[error("the UserSig was made for another SDKAppID")]
    SdkAppIdMismatch,
    /// The HMAC does not match: made with another secret key (70009).
    #[error("the UserSig was not made with this app's secret key")]
    BadSignature,
}

impl VerifyError {
    /// The error code the service answers with for this refusal.
    pub fn service_code(&self) -> i64 {
        match self {
            VerifyError::Malformed(_) => 70003,
            VerifyError::Expired { .. } => 70001,
            VerifyError::IdentifierMismatch => 70013,
            VerifyError::SdkAppIdMismatch => 70014,
            VerifyError::BadSignature => 70009,
        }
    }
}

/// The fields carried inside a UserSig, as decoded (not yet trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigFields {
    /// `TLS.identifier`
    pub identifier: String,
    /// `TLS.sdkappid`
    pub sdkappid: u64,
    /// `TLS.time`: issue time, unix seconds.
    pub time: i64,
    /// `TLS.expire`: lifetime in seconds (not an absolute time).
    pub expire: i64,
    /// `TLS.userbuf`, standard base64, when present (TRTC only; never made by timport).
    pub userbuf: Option<String>,
    /// `TLS.sig`: standard base64 of the HMAC.
    pub sig: String,
}

impl SigFields {
    /// Unix time after which the signature is refused.
    pub fn expires_at(&self) -> i64 {
        self.time.saturating_add(self.expire)
    }
}

/// The standard-base64 HMAC-SHA256 that goes into `TLS.sig`.
pub fn hmac_base64(
    key: &SecretKey,
    identifier: &str,
    sdkappid: u64,
    time: i64,
    expire: i64,
    userbuf_b64: Option<&str>,
) -> String {
    let mut content = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    if let Some(buf) = userbuf_b64 {
        content.push_str("TLS.userbuf:");
        content.push_str(buf);
        content.push('\n');
    }
    STANDARD.encode(hmac_digest(key, content.as_bytes()))
}

fn hmac_digest(key: &SecretKey, content: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(content);
    mac.finalize().into_bytes().to_vec()
}

/// Mints a UserSig for `identifier`, valid `expire` seconds from `now` (unix seconds).
///
/// The JSON is compact, in the order of the official Node library; zlib at the default level.
pub fn generate(
    key: &SecretKey,
    sdkappid: u64,
    identifier: &str,
    expire: u64,
    now: i64,
) -> UserSig {
    let expire = i64::try_from(expire).unwrap_or(i64::MAX);
    let sig = hmac_base64(key, identifier, sdkappid, now, expire, None);
    let doc = serde_json::json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.time": now,
        "TLS.expire": expire,
        "TLS.sig": sig,
    });
    let json = doc.to_string();
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let compressed = encoder
        .write_all(json.as_bytes())
        .and_then(|()| encoder.finish())
        .unwrap_or_else(|_| unreachable!("compressing into memory cannot fail"));
    UserSig::new(to_tencent_base64(&compressed))
}

/// Decodes a UserSig without checking it: the fields it claims.
pub fn decode(usersig: &str) -> Result<SigFields, VerifyError> {
    if usersig.is_empty() {
        return Err(VerifyError::Malformed("it is empty"));
    }
    if usersig.len() > MAX_ENCODED_LEN {
        return Err(VerifyError::Malformed("it is too long"));
    }
    let compressed = from_tencent_base64(usersig).ok_or(VerifyError::Malformed("bad base64"))?;
    let mut json = Vec::new();
    ZlibDecoder::new(compressed.as_slice())
        .take(64 * 1024)
        .read_to_end(&mut json)
        .map_err(|_| VerifyError::Malformed("bad zlib stream"))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&json).map_err(|_| VerifyError::Malformed("bad JSON"))?;
    let field = |name: &'static str| doc.get(name).ok_or(VerifyError::Malformed(name));
    let int = |name: &'static str| -> Result<i64, VerifyError> {
        let value = field(name)?;
        value
            .as_i64()
            .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
            .ok_or(VerifyError::Malformed(name))
    };
    let text = |name: &'static str| -> Result<String, VerifyError> {
        field(name)?
            .as_str()
            .map(str::to_owned)
            .ok_or(VerifyError::Malformed(name))
    };
    let sdkappid =
        u64::try_from(int("TLS.sdkappid")?).map_err(|_| VerifyError::Malformed("TLS.sdkappid"))?;
    Ok(SigFields {
        identifier: text("TLS.identifier")?,
        sdkappid,
        time: int("TLS.time")?,
        expire: int("TLS.expire")?,
        userbuf: match doc.get("TLS.userbuf") {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .ok_or(VerifyError::Malformed("TLS.userbuf"))?
                    .to_owned(),
            ),
        },
        sig: text("TLS.sig")?,
    })
}

/// Verifies a UserSig as the service does: decodes it, checks SDKAppID, identifier and expiry
/// (`now > time + expire` is expired), then recomputes the HMAC from the decoded fields.
pub fn verify(
    usersig: &str,
    key: &SecretKey,
    sdkappid: u64,
    identifier: &str,
    now: i64,
) -> Result<SigFields, VerifyError> {
    let fields = decode(usersig)?;
    if fields.sdkappid != sdkappid {
        return Err(VerifyError::SdkAppIdMismatch);
    }
    if fields.identifier != identifier {
        return Err(VerifyError::IdentifierMismatch);
    }
    let claimed = STANDARD
        .decode(fields.sig.as_bytes())
        .map_err(|_| VerifyError::Malformed("TLS.sig"))?;
    let mut content = format!(
        "TLS.identifier:{}\nTLS.sdkappid:{}\nTLS.time:{}\nTLS.expire:{}\n",
        fields.identifier, fields.sdkappid, fields.time, fields.expire
    );
    if let Some(buf) = &fields.userbuf {
        content.push_str("TLS.userbuf:");
        content.push_str(buf);
        content.push('\n');
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(content.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&claimed)
        .map_err(|_| VerifyError::BadSignature)?;
    if now > fields.expires_at() {
        return Err(VerifyError::Expired {
            expired_at: fields.expires_at(),
        });
    }
    Ok(fields)
}

fn to_tencent_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            other => other,
        })
        .collect()
}

fn from_tencent_base64(text: &str) -> Option<Vec<u8>> {
    let mapped: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            other => other,
        })
        .collect();
    STANDARD.decode(mapped.as_bytes()).ok().or_else(|| {
        STANDARD_NO_PAD
            .decode(mapped.trim_end_matches('=').as_bytes())
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vectors of docs/service.md#usersig-test-vectors.
    const DEMO_KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    const APP: u64 = 1_400_000_000;
    const TIME: i64 = 1_700_000_000;
    const PY_SIG: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__";
    const NODE_SIG: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZmqOKplYUZBaBxE1NTY3gosWZ6UpWSj5ljuYp*p7l5unBxXnF2WVhVU4uAf7Ozi5JpX7O5SbuHuUhzgZJmQXaTia2SrUAohcx8g__";
    const GO_STYLE_STORED: &str = "eAEBrABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMuc2lnIjoiTHZBN2QvSXc3Z1NzbnNrdlZ6QkRQT0NDRGJ1TkN3NEdId1RDMGJpcCtCND0ifQrfwzH8";
    const ADMIN_PY_SIG: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZBZlAqUsTAzgQuWZOaChAzN0RQXZ6aDLKn0cUzVLjcPD00NLS1MCrPM0A*JMLcoNTLMD3HP1M60jCowLDUOKMiLNDOwVaoFAD4PNPI_";

    fn key() -> SecretKey {
        SecretKey::new(DEMO_KEY)
    }

    #[test]
    fn hmac_matches_the_official_vectors_byte_for_byte() {
        assert_eq!(
            hmac_base64(&key(), "xiaojun", APP, TIME, 15_552_000, None),
            "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="
        );
        assert_eq!(
            hmac_base64(&key(), "administrator", APP, TIME, 86_400, None),
            "yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60="
        );
    }

    #[test]
    fn generated_sig_decodes_to_the_official_fields() {
        let sig = generate(&key(), APP, "xiaojun", 15_552_000, TIME);
        let text = sig.expose();
        assert!(text.starts_with("eJ"), "zlib default header: {text}");
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || "*-_".contains(c))
        );
        let fields = decode(text).unwrap();
        assert_eq!(
            fields,
            SigFields {
                identifier: "xiaojun".into(),
                sdkappid: APP,
                time: TIME,
                expire: 15_552_000,
                userbuf: None,
                sig: "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=".into(),
            }
        );
    }

    #[test]
    fn verifier_accepts_python_node_and_stored_zlib_outputs() {
        let now = TIME + 10;
        for official in [PY_SIG, NODE_SIG, GO_STYLE_STORED] {
            let fields = verify(official, &key(), APP, "xiaojun", now).unwrap();
            assert_eq!(fields.time, TIME);
            assert_eq!(fields.expire, 15_552_000);
        }
        verify(ADMIN_PY_SIG, &key(), APP, "administrator", now).unwrap();
    }

    #[test]
    fn round_trip_and_expiry_boundary() {
        let sig = generate(&key(), 7, "admin", 100, 1_000);
        verify(sig.expose(), &key(), 7, "admin", 1_000).unwrap();
        // Valid through time + expire inclusive, expired one second later.
        verify(sig.expose(), &key(), 7, "admin", 1_100).unwrap();
        assert_eq!(
            verify(sig.expose(), &key(), 7, "admin", 1_101),
            Err(VerifyError::Expired { expired_at: 1_100 })
        );
        assert_eq!(
            verify(ADMIN_PY_SIG, &key(), APP, "administrator", TIME + 86_401)
                .map_err(|e| e.service_code()),
            Err(70001)
        );
    }

    #[test]
    fn wrong_key_app_or_identifier_is_refused_with_its_code() {
        let sig = generate(&key(), APP, "admin", 3600, TIME);
        let other = SecretKey::new("another-key");
        let code = |r: Result<SigFields, VerifyError>| r.map_err(|e| e.service_code()).map(|_| ());
        assert_eq!(
            code(verify(sig.expose(), &other, APP, "admin", TIME)),
            Err(70009)
        );
        assert_eq!(
            code(verify(sig.expose(), &key(), APP + 1, "admin", TIME)),
            Err(70014)
        );
        assert_eq!(
            code(verify(sig.expose(), &key(), APP, "root", TIME)),
            Err(70013)
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bad in ["", "not base64 !!", "eJyrVgrx", "AAAA", &"x".repeat(10_000)] {
            assert!(
                matches!(decode(bad), Err(VerifyError::Malformed(_))),
                "{bad:.20}"
            );
        }
        // A valid zlib stream of something that is not a UserSig document.
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(br#"{"TLS.ver":"2.0"}"#).unwrap();
        let text = to_tencent_base64(&enc.finish().unwrap());
        assert_eq!(decode(&text).map_err(|e| e.service_code()), Err(70003));
    }

    #[test]
    fn verifier_accepts_any_field_order_and_userbuf() {
        let buf = STANDARD.encode(b"buf");
        let sig = hmac_base64(&key(), "u1", 5, 10, 20, Some(&buf));
        let json = format!(
            r#"{{"TLS.sig": "{sig}", "TLS.userbuf": "{buf}", "TLS.expire": 20, "TLS.time": 10, "TLS.sdkappid": 5, "TLS.identifier": "u1", "TLS.ver": "2.0"}}"#
        );
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::none());
        enc.write_all(json.as_bytes()).unwrap();
        let text = to_tencent_base64(&enc.finish().unwrap());
        let fields = verify(&text, &key(), 5, "u1", 15).unwrap();
        assert_eq!(fields.userbuf.as_deref(), Some(buf.as_str()));
    }
}
