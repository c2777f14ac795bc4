//! Which smokes run on which shard (contract section 10): a smoke given on the command
//! line, a task file's, and every registry smoke marked `sharded` run on every shard and
//! split their own tests; the other registry smokes are dealt round robin, the k-th of them
//! (from 0, in file order) to shard k mod N + 1.

use super::PlannedSmoke;
use crate::config::Shard;

/// The smokes `shard` runs, in order; all of them outside a sharded run.
pub fn deal(smokes: &[PlannedSmoke], shard: Option<Shard>) -> Vec<PlannedSmoke> {
    let Some(shard) = shard else { return smokes.to_vec() };
    let mut dealt = 0u32;
    smokes
        .iter()
        .filter(|smoke| {
            if smoke.sharded {
                return true;
            }
            let mine = dealt % shard.total + 1 == shard.index;
            dealt += 1;
            mine
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smoke_command::direct;

    fn smoke(name: &str, sharded: bool) -> PlannedSmoke {
        PlannedSmoke { name: name.to_owned(), command: direct(&[name.into()]), sharded }
    }

    fn names(shard: Option<Shard>, smokes: &[PlannedSmoke]) -> Vec<String> {
        deal(smokes, shard).into_iter().map(|s| s.name).collect()
    }

    #[test]
    fn sharded_smokes_run_everywhere_and_the_rest_are_dealt_round_robin() {
        let smokes =
            [smoke("a", false), smoke("all", true), smoke("b", false), smoke("c", false), smoke("d", false)];
        let shard = |index| Some(Shard { index, total: 3 });
        assert_eq!(names(shard(1), &smokes), ["a", "all", "d"]);
        assert_eq!(names(shard(2), &smokes), ["all", "b"]);
        assert_eq!(names(shard(3), &smokes), ["all", "c"]);
        assert_eq!(names(None, &smokes), ["a", "all", "b", "c", "d"]);
    }

    #[test]
    fn a_shard_may_be_dealt_nothing() {
        let smokes = [smoke("a", false)];
        assert!(names(Some(Shard { index: 2, total: 2 }), &smokes).is_empty());
        assert_eq!(names(Some(Shard { index: 1, total: 2 }), &smokes), ["a"]);
    }
}
