//! `get_appid_group_list`: the app's groups in creation order, `Limit` per page (at most 10000),
//! an optional `GroupType` filter, and a `Next` cursor. Cursors start above `u32::MAX` (the
//! service's do too: a user saw 9040992949), so a client that keeps them in 32 bits breaks here
//! rather than in production.

use serde_json::Value;

use crate::api::types::{
    GetAppidGroupListRequest, GetAppidGroupListResponse, GroupIdItem, GroupType,
};

use super::{Outcome, Refusal, Tally, outcome, parse_request};
use crate::sandbox::model::State;

/// Most groups per page, and the page size when `Limit` is absent or 0.
pub const MAX_LIMIT: u32 = 10_000;
/// Cursor of the first group; group `i` (creation order) is at `CURSOR_BASE + i`.
pub const CURSOR_BASE: u64 = 9_000_000_000;

pub(super) fn get_appid_group_list(state: &State, body: &Value) -> Result<Outcome, Refusal> {
    let req: GetAppidGroupListRequest = parse_request(body, 10004)?;
    let limit = match req.limit {
        None | Some(0) => MAX_LIMIT,
        Some(n) if n > MAX_LIMIT => {
            return Err(Refusal::new(
                10004,
                format!("Limit {n} is over {MAX_LIMIT}"),
            ));
        }
        Some(n) => n,
    };
    let wanted = match req.group_type.as_deref().map(GroupType::parse) {
        Some(GroupType::Other(name)) => {
            return Err(Refusal::new(
                10004,
                format!("GroupType '{name}' is not a group type"),
            ));
        }
        other => other,
    };
    let start = match req.next {
        None | Some(0) => 0,
        Some(n) if n >= CURSOR_BASE => usize::try_from(n - CURSOR_BASE).unwrap_or(usize::MAX),
        Some(n) => {
            return Err(Refusal::new(
                10004,
                format!("Next {n} is not a cursor this service gave out"),
            ));
        }
    };
    let matches = |t: &GroupType| wanted.as_ref().is_none_or(|w| w == t);
    let groups = state.groups();
    let total_count = groups.iter().filter(|g| matches(&g.group_type)).count() as u64;
    let mut page = groups
        .iter()
        .enumerate()
        .skip(start)
        .filter(|(_, g)| matches(&g.group_type));
    let group_id_list: Vec<(usize, GroupIdItem)> = page
        .by_ref()
        .take(limit as usize)
        .map(|(i, g)| {
            (
                i,
                GroupIdItem {
                    group_id: g.id.clone(),
                },
            )
        })
        .collect();
    let next = match (group_id_list.last(), page.next()) {
        (Some(&(last, _)), Some(_)) => CURSOR_BASE + last as u64 + 1,
        _ => 0,
    };
    outcome(
        &GetAppidGroupListResponse {
            total_count,
            group_id_list: group_id_list.into_iter().map(|(_, item)| item).collect(),
            next,
        },
        Tally::default(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::types::Command;
    use crate::sandbox::commands::testing::{call, state};

    #[test]
    fn pages_with_a_64_bit_cursor_and_filters_by_type() {
        let mut s = state();
        let page = |s: &mut State, body| -> (Vec<String>, u64, u64) {
            let a = call(s, Command::GetAppidGroupList, body).unwrap();
            let ids = a["GroupIdList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["GroupId"].as_str().unwrap().to_owned())
                .collect();
            (
                ids,
                a["Next"].as_u64().unwrap(),
                a["TotalCount"].as_u64().unwrap(),
            )
        };
        let (ids, next, total) = page(&mut s, json!({"Limit": 3}));
        assert_eq!(
            (ids, total),
            (vec!["pub".into(), "av".into(), "club".into()], 4)
        );
        assert!(next > u64::from(u32::MAX));
        let (ids, next, _) = page(&mut s, json!({"Limit": 3, "Next": next}));
        assert_eq!((ids, next), (vec!["plain".to_owned()], 0));
        let (ids, next, total) = page(&mut s, json!({"GroupType": "Community", "Limit": 1}));
        assert_eq!((ids, total), (vec!["club".to_owned()], 2));
        let (ids, next, _) = page(&mut s, json!({"GroupType": "Community", "Next": next}));
        assert_eq!((ids, next), (vec!["plain".to_owned()], 0));
        let (ids, _, _) = page(&mut s, json!({}));
        assert_eq!(ids.len(), 4);
        for bad in [
            json!({"Limit": 10_001}),
            json!({"GroupType": "Square"}),
            json!({"Next": 5}),
        ] {
            assert_eq!(call(&mut s, Command::GetAppidGroupList, bad), Err(10004));
        }
    }
}
