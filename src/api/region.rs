//! Where the service lives: the data-centre regions with their primary and backup domains, and
//! the endpoint (base URL) a client talks to.
//!
//! Plain `http://` is allowed only to loopback addresses (the sandbox); everything else must be
//! `https://`, so credentials never cross a network in clear text.

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
    /// Not an absolute http(s) URL.
    #[error("endpoint '{0}' is not a URL like https://host[:port]")]
    NotAUrl(String),
    /// `http://` to a host that is not loopback.
    #[error(
        "endpoint '{0}' uses plain http to a non-loopback host; use https (plain http is only allowed to 127.0.0.1, ::1 or localhost)"
    )]
    InsecureRemote(String),
}

impl Endpoint {
    /// Parses and checks an endpoint URL. A trailing `/` and a trailing `/v4` are accepted.
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        let trimmed = url.trim().trim_end_matches('/');
        let trimmed = trimmed.strip_suffix("/v4").unwrap_or(trimmed);
        let (scheme, rest) = trimmed
            .split_once("://")
            .ok_or_else(|| EndpointError::NotAUrl(url.to_owned()))?;
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() || authority.contains(['?', '#', '@', ' ']) {
            return Err(EndpointError::NotAUrl(url.to_owned()));
        }
        match scheme.as_str() {
            "https" => {}
            "http" if is_loopback_authority(authority) => {}
            "http" => return Err(EndpointError::InsecureRemote(url.to_owned())),
            _ => return Err(EndpointError::NotAUrl(url.to_owned())),
        }
        Ok(Endpoint {
            base: format!("{scheme}://{rest}"),
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
        for bad in ["example.com", "ftp://x", "https://", "https://user@host"] {
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
