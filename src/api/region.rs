//! Where the service lives: the data-centre regions with their primary and backup domains, and
//! the endpoint (base URL) a client talks to.
//!
//! Plain `http://` is allowed only to loopback addresses (the sandbox); everything else must be
//! `https://`, so credentials never cross a network in clear text. An endpoint is a scheme, a
//! host and a port only: a path, query or fragment would silently redirect every call (timport
//! appends `/v4/<command>?...` itself), and a user name or password has no place in it. Errors
//! show the URL with any user name and password replaced by `***`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A data centre of Tencent Cloud Chat. An SDKAppID belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// Chinese mainland.
    China,
    /// Singapore.
    Singapore,
    /// Seoul, Korea.
    Seoul,
    /// Tokyo, Japan.
    Tokyo,
    /// Frankfurt, Germany.
    Frankfurt,
    /// Mumbai, India.
    Mumbai,
    /// Silicon Valley, USA.
    SiliconValley,
    /// Jakarta, Indonesia.
    Jakarta,
}

impl Region {
    /// Every region, in the order the console lists them.
    pub const ALL: [Region; 8] = [
        Region::China,
        Region::Singapore,
        Region::Seoul,
        Region::Tokyo,
        Region::Frankfurt,
        Region::Mumbai,
        Region::SiliconValley,
        Region::Jakarta,
    ];

    /// The name used on the command line and in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Region::China => "china",
            Region::Singapore => "singapore",
            Region::Seoul => "seoul",
            Region::Tokyo => "tokyo",
            Region::Frankfurt => "frankfurt",
            Region::Mumbai => "mumbai",
            Region::SiliconValley => "silicon-valley",
            Region::Jakarta => "jakarta",
        }
    }

    /// A human label.
    pub fn label(self) -> &'static str {
        match self {
            Region::China => "China",
            Region::Singapore => "Singapore",
            Region::Seoul => "Seoul",
            Region::Tokyo => "Tokyo",
            Region::Frankfurt => "Frankfurt",
            Region::Mumbai => "Mumbai",
            Region::SiliconValley => "Silicon Valley",
            Region::Jakarta => "Jakarta",
        }
    }

    /// The primary REST domain.
    pub fn primary_host(self) -> &'static str {
        match self {
            Region::China => "console.tim.qq.com",
            Region::Singapore => "adminapisgp.im.qcloud.com",
            Region::Seoul => "adminapikr.im.qcloud.com",
            Region::Tokyo => "adminapijpn.im.qcloud.com",
            Region::Frankfurt => "adminapiger.im.qcloud.com",
            Region::Mumbai => "adminapiind.im.qcloud.com",
            Region::SiliconValley => "adminapiusa.im.qcloud.com",
            Region::Jakarta => "adminapiidn.im.qcloud.com",
        }
    }

    /// The backup REST domain. Tokyo's is not published; its primary is returned instead.
    pub fn backup_host(self) -> &'static str {
        match self {
            Region::China => "adminapi.my-imcloud.com",
            Region::Singapore => "adminapisgp.my-imcloud.com",
            Region::Seoul => "adminapikr.my-imcloud.com",
            Region::Tokyo => "adminapijpn.im.qcloud.com",
            Region::Frankfurt => "adminapiger.my-imcloud.com",
            Region::Mumbai => "adminapiind.my-imcloud.com",
            Region::SiliconValley => "adminapiusa.my-imcloud.com",
            Region::Jakarta => "adminapiidn.my-imcloud.com",
        }
    }

    /// The endpoint of the primary (or backup) domain.
    pub fn endpoint(self, backup: bool) -> Endpoint {
        let host = if backup {
            self.backup_host()
        } else {
            self.primary_host()
        };
        Endpoint {
            base: format!("https://{host}"),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Region {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        let alias = match wanted.as_str() {
            "cn" | "mainland" => "china",
            "sg" | "sgp" => "singapore",
            "kr" | "korea" => "seoul",
            "jp" | "jpn" | "japan" => "tokyo",
            "ger" | "de" | "germany" => "frankfurt",
            "ind" | "in" | "india" => "mumbai",
            "usa" | "us" | "siliconvalley" => "silicon-valley",
            "idn" | "id" | "indonesia" => "jakarta",
            other => other,
        };
        Region::ALL
            .into_iter()
            .find(|r| r.name() == alias)
            .ok_or_else(|| EndpointError::UnknownRegion(s.to_owned()))
    }
}

/// A base URL such as `https://adminapisgp.im.qcloud.com` or `http://127.0.0.1:8080`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    base: String,
}

/// A region or endpoint that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not one of the known region names.
    #[error(
        "unknown region '{0}': use one of china, singapore, seoul, tokyo, frankfurt, mumbai, silicon-valley, jakarta, or --endpoint URL"
    )]
    UnknownRegion(String),
    /// Not an absolute http(s) URL (shown without any user name or password).
    #[error("endpoint '{0}' is not a URL like https://host[:port]")]
    NotAUrl(String),
    /// A path, query or fragment after the host (shown without any user name or password).
    #[error(
        "endpoint '{0}' has a path, query or fragment; give only https://host[:port] (timport adds /v4/<command> and the query itself)"
    )]
    NotABase(String),
    /// A user name or password in the URL (never shown).
    #[error(
        "endpoint '{0}' carries a user name or password; give only https://host[:port] (the service authenticates with the UserSig, not with URL credentials)"
    )]
    Credentials(String),
    /// `http://` to a host that is not loopback (shown without any user name or password).
    #[error(
        "endpoint '{0}' uses plain http to a non-loopback host; use https (plain http is only allowed to 127.0.0.1, ::1 or localhost)"
    )]
    InsecureRemote(String),
}

impl Endpoint {
    /// Parses and checks an endpoint URL: scheme, host and port, with an optional trailing `/`
    /// or `/v4` and nothing else.
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        let shown = || without_credentials(url.trim());
        if url.contains('@') {
            return Err(EndpointError::Credentials(shown()));
        }
        let trimmed = url.trim();
        let (scheme, rest) = trimmed
            .split_once("://")
            .ok_or_else(|| EndpointError::NotAUrl(shown()))?;
        let scheme = scheme.to_ascii_lowercase();
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.is_empty() || authority.contains(char::is_whitespace) {
            return Err(EndpointError::NotAUrl(shown()));
        }
        if !matches!(tail, "" | "/" | "/v4" | "/v4/") {
            return Err(EndpointError::NotABase(shown()));
        }
        match scheme.as_str() {
            "https" => {}
            "http" if is_loopback_authority(authority) => {}
            "http" => return Err(EndpointError::InsecureRemote(shown())),
            _ => return Err(EndpointError::NotAUrl(shown())),
        }
        Ok(Endpoint {
            base: format!("{scheme}://{authority}"),
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The URL of a command such as `group_open_http_svc/import_group_msg`, without query.
    pub fn command_url(&self, command_path: &str) -> String {
        format!("{}/v4/{command_path}", self.base)
    }

    /// True when this endpoint is on the local machine (the sandbox).
    pub fn is_loopback(&self) -> bool {
        self.base
            .split_once("://")
            .map(|(_, rest)| is_loopback_authority(rest.split('/').next().unwrap_or_default()))
            .unwrap_or(false)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// `url` with everything between `scheme://` and the last `@` (a user name and password, however
/// spelt) replaced by `***`, so an error never echoes a password.
fn without_credentials(url: &str) -> String {
    match url.rfind('@') {
        Some(at) => {
            let start = url.find("://").map_or(0, |i| i + 3).min(at);
            format!("{}***{}", &url[..start], &url[at..])
        }
        None => url.to_owned(),
    }
}

fn is_loopback_authority(authority: &str) -> bool {
    // Strip the port: "[::1]:80" -> "::1", "127.0.0.1:80" -> "127.0.0.1".
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_has_distinct_https_domains_and_parses_back() {
        for region in Region::ALL {
            assert_eq!(region.name().parse::<Region>().unwrap(), region);
            assert!(region.endpoint(false).base().starts_with("https://"));
            assert!(region.endpoint(true).base().starts_with("https://"));
            assert!(!region.endpoint(false).is_loopback());
        }
        let primaries: std::collections::HashSet<_> =
            Region::ALL.iter().map(|r| r.primary_host()).collect();
        assert_eq!(primaries.len(), 8);
        assert_eq!(
            Region::Singapore.primary_host(),
            "adminapisgp.im.qcloud.com"
        );
        assert_eq!(Region::China.backup_host(), "adminapi.my-imcloud.com");
        assert_eq!(
            "Silicon Valley".parse::<Region>().unwrap(),
            Region::SiliconValley
        );
        assert_eq!("jp".parse::<Region>().unwrap(), Region::Tokyo);
        assert!(matches!(
            "mars".parse::<Region>(),
            Err(EndpointError::UnknownRegion(_))
        ));
    }

    #[test]
    fn only_scheme_host_and_port() {
        for bad in [
            "https://h.example/tim",
            "https://h.example/v4/group_open_http_svc",
            "https://h.example?x=1",
            "https://h.example/?x=1",
            "https://h.example#frag",
            "https://h.example/v4#frag",
            "http://127.0.0.1:9/path",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(matches!(err, EndpointError::NotABase(_)), "{bad}: {err:?}");
            assert!(err.to_string().contains("path, query or fragment"), "{err}");
        }
        for ok in [
            "https://h.example:8443",
            "https://h.example/v4/",
            "https://[::1]:9",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn credentials_are_refused_and_never_echoed() {
        for bad in [
            "https://user:hunter2@h.example",
            "https://user:hun/ter2@h.example",
            "https://user:hun#ter2@h.example/x",
            "http://user:hunter2@10.0.0.1",
            "user:hunter2@h.example",
            "https://:hunter2@127.0.0.1",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(
                matches!(err, EndpointError::Credentials(_)),
                "{bad}: {err:?}"
            );
            let shown = format!("{err} {err:?}");
            assert!(
                !shown.contains("hunter2") && !shown.contains("hun"),
                "{shown}"
            );
            assert!(!shown.contains("user:"), "{shown}");
            assert!(shown.contains("***@"), "{shown}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1/",
            "http://[::1]:9",
            "https://example.com",
            "https://example.com/v4",
        ] {
            let e = Endpoint::parse(ok).unwrap();
            assert!(!e.base().ends_with('/'), "{e}");
            assert!(!e.base().ends_with("/v4"), "{e}");
        }
        assert!(
            Endpoint::parse("http://127.0.0.1:8080")
                .unwrap()
                .is_loopback()
        );
        for bad in [
            "http://example.com",
            "http://10.0.0.1:80",
            "http://127.0.0.1.evil.com",
        ] {
            assert!(
                matches!(Endpoint::parse(bad), Err(EndpointError::InsecureRemote(_))),
                "{bad}"
            );
        }
        for bad in ["example.com", "ftp://x", "https://", "https:// host"] {
            assert!(
                matches!(Endpoint::parse(bad), Err(EndpointError::NotAUrl(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Endpoint::parse("https://h.example/")
                .unwrap()
                .command_url("group_open_http_svc/import_group_msg"),
            "https://h.example/v4/group_open_http_svc/import_group_msg"
        );
    }
}
