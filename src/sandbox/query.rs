//! The URL query every call carries, checked in the service's order with its codes:
//! `sdkappid`, `identifier`, `usersig`, `random`, `contenttype=json`, then the UserSig itself
//! and whether the identifier is the app admin.
//!
//! Error details name the parameter, never its value: the query carries the UserSig.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::Uri;

use crate::api::SecretKey;
use crate::api::usersig;

use super::answer::Refusal;

/// Who the sandbox answers for.
pub(crate) struct Identity<'a> {
    pub(crate) sdkappid: u64,
    pub(crate) admin: &'a str,
    pub(crate) secret: &'a SecretKey,
}

/// Checks the query of `uri` at sandbox time `now`.
pub(crate) fn check(uri: &Uri, identity: &Identity<'_>, now: i64) -> Result<(), Refusal> {
    let Query(params) = Query::<HashMap<String, String>>::try_from_uri(uri)
        .map_err(|_| Refusal::new(60002, "the URL query cannot be parsed"))?;
    let get = |name: &str| params.get(name).map(String::as_str);

    let sdkappid = get("sdkappid").ok_or_else(|| Refusal::new(60012, "no sdkappid"))?;
    let sdkappid: u64 = sdkappid
        .parse()
        .map_err(|_| Refusal::new(60002, "sdkappid is not a number"))?;
    let identifier = match get("identifier") {
        Some(id) if !id.is_empty() => id,
        _ => return Err(Refusal::new(60004, "no identifier in the URL")),
    };
    let sig = match get("usersig") {
        None => return Err(Refusal::new(60004, "no usersig in the URL")),
        Some("") => return Err(Refusal::new(70002, "usersig is empty")),
        Some(sig) => sig,
    };
    match get("random") {
        None => return Err(Refusal::new(60002, "no random in the URL")),
        Some(r) if r.parse::<u32>().is_err() => {
            return Err(Refusal::new(
                60002,
                "random must be an unsigned 32-bit integer",
            ));
        }
        Some(_) => {}
    }
    if get("contenttype") != Some("json") {
        return Err(Refusal::new(60002, "contenttype=json is required"));
    }
    if sdkappid != identity.sdkappid {
        return Err(Refusal::new(
            70020,
            format!("this service knows no SDKAppID {sdkappid}"),
        ));
    }
    usersig::verify(sig, identity.secret, sdkappid, identifier, now)
        .map_err(|e| Refusal::new(e.service_code(), e.to_string()))?;
    if identifier != identity.admin {
        return Err(Refusal::new(
            60010,
            format!("'{identifier}' is not an app admin"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::usersig::generate;

    const NOW: i64 = 1_700_000_000;

    fn code(query: &str, identity: &Identity<'_>) -> i64 {
        let uri: Uri = format!("/v4/x/y?{query}").parse().unwrap();
        check(&uri, identity, NOW).err().map_or(0, |r| r.code)
    }

    #[test]
    fn each_query_problem_has_its_code_and_never_echoes_the_sig() {
        let key = SecretKey::new("k");
        let identity = Identity {
            sdkappid: 5,
            admin: "admin",
            secret: &key,
        };
        let sig = |id: &str, app: u64| generate(&key, app, id, 3600, NOW).expose().to_owned();
        let q = |app: &str, id: &str, s: &str| {
            format!("sdkappid={app}&identifier={id}&usersig={s}&random=7&contenttype=json")
        };
        let good = sig("admin", 5);
        assert_eq!(code(&q("5", "admin", &good), &identity), 0);
        assert_eq!(
            code(
                "identifier=admin&usersig=x&random=1&contenttype=json",
                &identity
            ),
            60012
        );
        assert_eq!(code(&q("five", "admin", &good), &identity), 60002);
        assert_eq!(
            code(
                &format!("sdkappid=5&usersig={good}&random=1&contenttype=json"),
                &identity
            ),
            60004
        );
        assert_eq!(
            code(
                "sdkappid=5&identifier=admin&random=1&contenttype=json",
                &identity
            ),
            60004
        );
        assert_eq!(code(&q("5", "admin", ""), &identity), 70002);
        let no_random = format!("sdkappid=5&identifier=admin&usersig={good}&contenttype=json");
        assert_eq!(code(&no_random, &identity), 60002);
        let big_random = format!("{no_random}&random=4294967296");
        assert_eq!(code(&big_random, &identity), 60002);
        let no_type = format!("sdkappid=5&identifier=admin&usersig={good}&random=1");
        assert_eq!(code(&no_type, &identity), 60002);
        assert_eq!(code(&q("6", "admin", &good), &identity), 70020);
        assert_eq!(code(&q("5", "admin", "garbage"), &identity), 70003);
        assert_eq!(code(&q("5", "root", &good), &identity), 70013);
        let other_app = Identity {
            sdkappid: 6,
            ..identity
        };
        assert_eq!(code(&q("6", "admin", &good), &other_app), 70014);
        assert_eq!(code(&q("5", "bob", &sig("bob", 5)), &identity), 60010);
        let foreign = generate(&SecretKey::new("other"), 5, "admin", 3600, NOW);
        assert_eq!(code(&q("5", "admin", foreign.expose()), &identity), 70009);
        let expired = generate(&key, 5, "admin", 10, NOW - 11);
        let uri: Uri = format!("/v4/x/y?{}", q("5", "admin", expired.expose()))
            .parse()
            .unwrap();
        let refusal = check(&uri, &identity, NOW).unwrap_err();
        assert_eq!(refusal.code, 70001);
        assert!(!refusal.error_info().contains(expired.expose()));
    }
}
