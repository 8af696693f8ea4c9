//! The engine plans a target part by part (`plan::plan_part`) so that only one part's messages
//! are in memory: cut at batch boundaries, the parts must be exactly the whole target's plan.

use proptest::prelude::*;
use timport::api::types::{ImportMsg, MsgElement};
use timport::plan::{
    PlanOptions, PlanState, SameSecond, Spreader, batch_ranges, plan_part, plan_target,
};
use timport::staging::{SourceRef, StagedMessage, Target};

fn staged(target: &Target, i: usize, time: i64, random: Option<u32>) -> StagedMessage {
    StagedMessage {
        source: SourceRef {
            file: "g.jsonl".into(),
            line: i as u32 + 1,
            offset: i as u64 * 50,
            item: 0,
        },
        target: target.clone(),
        msg: ImportMsg {
            from_account: format!("u{}", i % 3),
            send_time: time,
            random,
            msg_body: vec![MsgElement::text(&format!("m{i}"))],
        },
        recent_contact_flag: None,
        warnings: vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn parts_cut_at_batch_boundaries_plan_like_the_whole(
        steps in proptest::collection::vec(0i64..3, 1..120),
        randoms in proptest::collection::vec(proptest::option::of(0u32..6), 120),
        cuts in proptest::collection::vec(any::<bool>(), 60),
        batch_size in 1usize..=7,
        spread in any::<bool>(),
    ) {
        let same_second = if spread { SameSecond::Spread } else { SameSecond::Keep };
        let target = Target::new("g", None);
        let mut time = 1_600_000_000;
        let msgs: Vec<StagedMessage> = steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                time += step;
                staged(&target, i, time, randoms[i])
            })
            .collect();
        let opts = PlanOptions { batch_size, recent_contact_flag: Some(1), same_second, ..PlanOptions::default() };
        let whole = plan_target(&target, &msgs, &opts);
        // Batches are cut over the times sent.
        let mut spreader = Spreader::new(same_second, batch_size);
        let times: Vec<i64> = msgs.iter().map(|m| spreader.next(m.msg.send_time)).collect();
        let ranges = batch_ranges(&times, batch_size);
        // Parts: consecutive batches, cut where `cuts` says.
        let mut parts = Vec::new();
        let mut start = 0;
        for (b, range) in ranges.iter().enumerate() {
            if cuts[b % cuts.len()] || b + 1 == ranges.len() {
                parts.push(start..range.end);
                start = range.end;
            }
        }
        let mut state = PlanState::default();
        let mut batches = Vec::new();
        for part in parts {
            batches.extend(plan_part(&target, &msgs[part], &opts, &mut state).batches);
        }
        prop_assert_eq!(batches, whole.batches);
    }
}
