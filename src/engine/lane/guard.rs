//! The guard: the one rule every request passes right before it is sent, whatever led to it (the
//! plan, a retry, an edit, a resume, a read-back that put messages back to send).
//!
//! A message goes only when
//! - every other message of the target that orders before it (`SendTime` as sent, then as
//!   staged, then staged position) is landed or skipped, or goes before it in the same request;
//!   and
//! - it is no older than the newest message the lane has landed in the target (the service
//!   refuses an older one for ever: the point of no return).
//!
//! Pure: it looks at the lane's messages and its newest landing, and says how many messages of
//! the request may go, or why none can.

use super::items::{ItemState, Items};
use crate::engine::events::Newest;

/// Why the first message of a request cannot go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// A message that orders before it is not landed or skipped: that one comes first.
    Earlier(usize),
    /// It is older than the newest message the lane has landed: it can never go in.
    Behind(Newest),
}

/// How many messages at the front of `group` (places in `items`, in request order) may be sent
/// now: at least one, or why not even the first.
pub fn admit(items: &Items, group: &[usize], newest: Option<&Newest>) -> Result<usize, Hold> {
    let Some(&first) = group.first() else {
        return Ok(0);
    };
    // Every open message, in the target's order (wherever it sits in the list).
    let mut open: Vec<usize> = (0..items.list.len())
        .filter(|&i| !items.list[i].is_settled())
        .collect();
    open.sort_by(|&a, &b| items.list[a].key().cmp(&items.list[b].key()));
    match open.first() {
        Some(&earliest) if earliest != first => return Err(Hold::Earlier(earliest)),
        // The request's first message is settled: nothing to send from here.
        None => return Err(Hold::Earlier(first)),
        Some(_) => {}
    }
    let sendable = |i: usize| {
        let item = &items.list[i];
        item.state == ItemState::Pending && item.valid().is_some()
    };
    if !sendable(first) {
        // The loop deals with a message that is not pending (settle, decide) before sending.
        return Err(Hold::Earlier(first));
    }
    if let Some(n) = newest
        && items.list[first].order_time() < n.send_time
    {
        return Err(Hold::Behind(n.clone()));
    }
    // The request goes as far as it is the front of the order: each of its messages the next
    // open one (so no message that orders before it is left behind, and times never go down).
    Ok(group
        .iter()
        .zip(&open)
        .take_while(|&(&g, &o)| g == o && sendable(g))
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::events::Failure;
    use crate::engine::target::Target;
    use crate::engine::testing::source;
    use crate::engine::work::{BatchWork, InvalidWork, MessageWork, TargetWork, WorkItem};

    fn valid(line: u32, time: i64) -> WorkItem {
        let json = format!(
            r#"{{"From_Account":"a","SendTime":{time},"Random":{line},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"m{line}"}}}}]}}"#
        );
        WorkItem::Valid(MessageWork::from_json(source("g.jsonl", line), 0, &json).unwrap())
    }

    fn invalid(line: u32, time: i64) -> WorkItem {
        WorkItem::Invalid(InvalidWork {
            source: source("g.jsonl", line),
            send_time: None,
            order_time: time,
            moved_from: None,
            problem: "broken".into(),
            raw: "{".into(),
        })
    }

    fn items(work: Vec<WorkItem>) -> Items {
        let n = work.len();
        Items::restore(
            TargetWork {
                target: Target::new("g", None),
                items: work,
                batches: vec![BatchWork {
                    index: 0,
                    body: bytes::Bytes::new(),
                    items: 0..n,
                }],
                head: Default::default(),
            },
            vec![],
        )
    }

    fn done(items: &mut Items, i: usize) {
        items.list[i].state = ItemState::Done {
            msg_seq: i as u64 + 1,
            msg_time: items.list[i].order_time(),
        };
    }

    fn newest(time: i64) -> Newest {
        Newest {
            send_time: time,
            msg_seq: 1,
            source: source("g.jsonl", 1),
        }
    }

    #[test]
    fn a_request_in_order_goes_whole() {
        let it = items(vec![valid(1, 10), valid(2, 10), valid(3, 11)]);
        assert_eq!(admit(&it, &[0, 1, 2], None), Ok(3));
        assert_eq!(admit(&it, &[], None), Ok(0));
    }

    #[test]
    fn an_open_message_that_orders_first_goes_first() {
        // Line 2 was edited to a later time and sits at the front of the list by mistake, or a
        // list arrived unsorted: the earliest open message is named.
        let mut it = items(vec![valid(2, 30), valid(1, 10), valid(3, 20)]);
        assert_eq!(admit(&it, &[0, 1, 2], None), Err(Hold::Earlier(1)));
        // From line 1, line 3 (20) may follow but line 2 (30) does not come before line 3.
        assert_eq!(admit(&it, &[1, 2], None), Ok(2));
        done(&mut it, 1);
        assert_eq!(admit(&it, &[2, 0], None), Ok(2), "line 3 then line 2");
        assert_eq!(admit(&it, &[0, 2], None), Err(Hold::Earlier(2)));
        // An invalid message in between holds everything after it.
        let mut it = items(vec![valid(1, 10), invalid(2, 10), valid(3, 11)]);
        assert_eq!(admit(&it, &[0, 2], None), Ok(1));
        done(&mut it, 0);
        assert_eq!(admit(&it, &[2], None), Err(Hold::Earlier(1)));
    }

    #[test]
    fn a_request_stops_before_a_message_that_orders_before_its_next_one() {
        let mut it = items(vec![valid(1, 10), valid(2, 30), valid(3, 20)]);
        assert_eq!(admit(&it, &[0, 1, 2], None), Ok(1));
        done(&mut it, 0);
        assert_eq!(admit(&it, &[1, 2], None), Err(Hold::Earlier(2)));
        assert_eq!(admit(&it, &[2, 1], None), Ok(2));
    }

    #[test]
    fn a_failed_or_unknown_message_before_holds_the_rest() {
        let mut it = items(vec![valid(1, 10), valid(2, 11), valid(3, 12)]);
        it.list[0].state = ItemState::Failed(Failure {
            code: Some(80002),
            meaning: "too long".into(),
            remedy: String::new(),
            detail: String::new(),
        });
        assert_eq!(admit(&it, &[1, 2], None), Err(Hold::Earlier(0)));
        it.list[0].state = ItemState::Skipped("why".into());
        assert_eq!(admit(&it, &[1, 2], None), Ok(2));
        it.list[1].state = ItemState::Unknown;
        assert_eq!(admit(&it, &[2], None), Err(Hold::Earlier(1)));
    }

    #[test]
    fn nothing_older_than_the_newest_landing_goes() {
        let it = items(vec![valid(1, 10), valid(2, 20)]);
        assert_eq!(admit(&it, &[0, 1], Some(&newest(10))), Ok(2), "equal goes");
        assert_eq!(
            admit(&it, &[0, 1], Some(&newest(11))),
            Err(Hold::Behind(newest(11)))
        );
    }
}
