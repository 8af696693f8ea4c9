//! The refused messages by code: how many are refused with each code now (in one lane or in
//! all), and the code the operator chose (which filters the errors and the results, and which
//! the bulk decisions are about).

use super::{RowOutcome, RunState};

impl RunState {
    /// Every code messages are refused with now, with how many, the most frequent first.
    pub fn codes(&self) -> Vec<(i64, u64)> {
        let mut by_code: Vec<(i64, u64)> = Vec::new();
        for outcome in self.open.values() {
            if let RowOutcome::Failed(Some(code)) = outcome {
                match by_code.iter_mut().find(|(c, _)| c == code) {
                    Some((_, n)) => *n += 1,
                    None => by_code.push((*code, 1)),
                }
            }
        }
        by_code.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        by_code
    }

    /// Messages refused with `code` now, in lane `lane` or in all.
    pub fn refused_with(&self, code: i64, lane: Option<u32>) -> u64 {
        self.open
            .iter()
            .filter(|((l, _), o)| {
                **o == RowOutcome::Failed(Some(code)) && lane.is_none_or(|want| *l == want)
            })
            .count() as u64
    }

    /// The code after the chosen one in [`RunState::codes`] (none after the last).
    pub fn next_code(&self) -> Option<i64> {
        let codes = self.codes();
        match self.code {
            None => codes.first().map(|(c, _)| *c),
            Some(now) => codes
                .iter()
                .position(|(c, _)| *c == now)
                .and_then(|i| codes.get(i + 1))
                .map(|(c, _)| *c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SourceRef;

    fn at(lane: u32, line: u32) -> (u32, SourceRef) {
        (
            lane,
            SourceRef {
                file: "g.jsonl".into(),
                line,
                offset: u64::from(line),
                item: 0,
            },
        )
    }

    #[test]
    fn codes_are_counted_per_lane_and_in_all_and_chosen_in_turn() {
        let mut run = RunState::default();
        run.open.insert(at(0, 1), RowOutcome::Failed(Some(80002)));
        run.open.insert(at(0, 2), RowOutcome::Failed(Some(80001)));
        run.open.insert(at(1, 3), RowOutcome::Failed(Some(80001)));
        run.open.insert(at(1, 4), RowOutcome::Failed(None));
        run.open.insert(at(1, 5), RowOutcome::Invalid);
        assert_eq!(run.codes(), [(80001, 2), (80002, 1)]);
        assert_eq!(run.refused_with(80001, None), 2);
        assert_eq!(run.refused_with(80001, Some(1)), 1);
        assert_eq!(run.refused_with(80002, Some(1)), 0);
        assert_eq!(run.next_code(), Some(80001));
        run.code = Some(80001);
        assert_eq!(run.next_code(), Some(80002));
        run.code = Some(80002);
        assert_eq!(run.next_code(), None, "after the last: no code chosen");
        run.code = Some(10016);
        assert_eq!(run.next_code(), None, "a code no longer refused");
    }
}
