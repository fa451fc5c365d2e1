//! The version table's rows as steps move them: [`RevisionGraph::heads_after`] for one step,
//! [`RevisionGraph::rows_of`] for what a set of heads means.
//!
//! A run asks `heads_after` once per step, handing back what the step before returned. The
//! answer from scratch walks everything below the step, so a long chain would cost the square
//! of its length. The graph therefore keeps a [`Walk`]: where the last answer left the rows,
//! and what the next step needs to answer from there by looking only at the revisions around
//! it. Each answer is the one from scratch would give; the walk is used only when the rows it
//! is given are the ones it returned and the step keeps what it knows true, and is started
//! again otherwise (another caller, a step out of order, a revision reverted while applied
//! revisions need it).

use crate::script::graph::{Edges, RevisionGraph, Step, count};
use crate::script::{Direction, RevisionId};

/// Where the last answer of [`RevisionGraph::heads_after`] left the rows.
#[derive(Debug)]
pub(super) struct Walk {
    /// The rows that answer returned, sorted.
    rows: Vec<RevisionId>,
    way: Way,
}

#[derive(Debug)]
enum Way {
    Tips(Tips),
    Up(Upward),
}

/// Rows as aludel's runs keep them: the tips (through `down_revision`) of what they mean
/// applied. A step whose parents and dependencies are applied (up), or that no applied
/// revision needs (down), keeps them so, and changes only itself and its parents: an upgrade
/// replaces the parents that were rows, a downgrade gives a row back to each parent left
/// without an applied child. Both directions, in any order (`aludel test` goes up, down and
/// up again).
#[derive(Debug)]
struct Tips {
    /// By position: what the rows mean applied, through `down_revision` and `depends_on`;
    /// everything an applied revision needs is applied.
    applied: Vec<bool>,
    /// By position: how many applied revisions name it as `down_revision`. The rows the
    /// graph knows are the applied revisions without any.
    applied_children: Vec<usize>,
}

/// Going up from rows that are not all tips (a stamp of a revision alone, which implies what
/// it depends on without a row for it): a step replaces the rows it descends from through
/// `down_revision`. Steps in the graph's order (each after the one before) never need to look
/// again below a revision an earlier step walked past: a row there was replaced by that step.
#[derive(Debug)]
struct Upward {
    /// By position: the rows the graph knows.
    row: Vec<bool>,
    /// Every revision an earlier step descends from through `down_revision`, and those
    /// steps: no row lies strictly below one of them.
    walked: Vec<bool>,
    /// The position of the last step; the next one must come after it in the graph's order.
    last: usize,
}

impl RevisionGraph {
    /// The version table's rows after `step`, sorted.
    ///
    /// Up of R: the heads that R descends from (through `down_revision`) give way to R.
    /// Down of R: the rows become the tips (through `down_revision`) of what stays applied:
    /// everything the rows needed (`depends_on` included) but R. So a revision that was
    /// applied only as another's dependency gets its own row rather than being forgotten, and
    /// no row is an ancestor of another.
    ///
    /// Called step after step with its own answers, as a run does, it costs over all the
    /// steps about one walk of the graph, not one per step.
    pub fn heads_after(&self, heads: &[RevisionId], step: &Step) -> Vec<RevisionId> {
        // Another thread stepping through the same graph at this moment answers from scratch.
        let Ok(mut memo) = self.memo.rows.try_lock() else { return self.heads_after_anew(heads, step) };
        if let Some(walk) = memo.as_mut().filter(|walk| walk.rows == heads)
            && let Some(after) = walk.follow(self, step)
        {
            return after;
        }
        let after = self.heads_after_anew(heads, step);
        *memo = self.start_walk(&after, step);
        after
    }

    /// [`RevisionGraph::heads_after`] from scratch.
    pub(super) fn heads_after_anew(&self, heads: &[RevisionId], step: &Step) -> Vec<RevisionId> {
        let position = |id: &RevisionId| self.position(id);
        let r = position(&step.revision);
        let mut after: Vec<RevisionId> = match step.direction {
            Direction::Up => {
                let below = r.map(|r| self.up_mask([r], Edges::Lineage));
                let mut kept: Vec<RevisionId> = heads
                    .iter()
                    .filter(|h| match (&below, position(h)) {
                        (Some(below), Some(i)) => !below[i],
                        _ => **h != step.revision,
                    })
                    .cloned()
                    .collect();
                kept.push(step.revision.clone());
                kept
            }
            Direction::Down => {
                // Rows the graph does not know stay as they are.
                let mut kept: Vec<RevisionId> =
                    heads.iter().filter(|h| **h != step.revision && position(h).is_none()).cloned().collect();
                let mut applied = self.up_mask(heads.iter().filter_map(position), Edges::All);
                if let Some(r) = r {
                    applied[r] = false;
                }
                kept.extend(self.lineage_tips(&applied));
                kept
            }
        };
        after.sort();
        after.dedup();
        after
    }

    /// The walk that continues from `after`, the rows `step` led to: [`Tips`] when they
    /// are the tips of what they mean applied, else going up [`Upward`]; none otherwise.
    fn start_walk(&self, after: &[RevisionId], step: &Step) -> Option<Walk> {
        let known = || after.iter().filter_map(|h| self.position(h));
        let applied = self.up_mask(known(), Edges::All);
        let mut applied_children = vec![0; self.nodes.len()];
        for i in self.positions().filter(|&i| applied[i]) {
            self.nodes[i].parents.iter().for_each(|&p| applied_children[p] += 1);
        }
        // Each row is applied: they are the tips when each is one and there are as many.
        let tips = self.positions().filter(|&i| applied[i] && applied_children[i] == 0).count();
        let way = if known().all(|i| applied_children[i] == 0) && known().count() == tips {
            Way::Tips(Tips { applied, applied_children })
        } else {
            let r = self.position(&step.revision).filter(|_| step.direction == Direction::Up)?;
            let mut row = vec![false; self.nodes.len()];
            known().for_each(|i| row[i] = true);
            Way::Up(Upward { row, walked: self.up_mask([r], Edges::Lineage), last: r })
        };
        Some(Walk { rows: after.to_vec(), way })
    }

    /// The rows aludel's own runs keep for the revisions `heads` mean: the tips (through
    /// `down_revision`) of everything they need, so a revision applied only as another's
    /// dependency has a row of its own, as after an upgrade (`aludel stamp` of the dependent
    /// alone writes its row only). Rows the graph does not know are kept; sorted.
    pub fn rows_of(&self, heads: &[RevisionId]) -> Vec<RevisionId> {
        let mut rows: Vec<RevisionId> = heads.iter().filter(|h| self.position(h).is_none()).cloned().collect();
        rows.extend(self.lineage_tips(&self.up_mask(heads.iter().filter_map(|h| self.position(h)), Edges::All)));
        rows.sort();
        rows.dedup();
        rows
    }

    /// The revisions of `applied` that no other applied revision descends from through
    /// `down_revision`.
    fn lineage_tips(&self, applied: &[bool]) -> Vec<RevisionId> {
        let parents = self.positions().filter(|&i| applied[i]).flat_map(|i| self.nodes[i].parents.iter().copied());
        let below_another = self.up_mask(parents, Edges::Lineage);
        self.positions().filter(|&i| applied[i] && !below_another[i]).map(|i| self.id(i).clone()).collect()
    }
}

impl Walk {
    /// The rows after `step`, from where the walk stands, and the walk moved on; `None` when
    /// the walk cannot answer it (it is then started again).
    fn follow(&mut self, graph: &RevisionGraph, step: &Step) -> Option<Vec<RevisionId>> {
        let r = graph.position(&step.revision);
        match (&mut self.way, r) {
            (Way::Tips(tips), Some(r)) => tips.follow(graph, &mut self.rows, r, step.direction)?,
            // A revision the graph does not know is a row of its own, whatever else the rows hold.
            (Way::Tips(_), None) => match step.direction {
                Direction::Up => insert(&mut self.rows, &step.revision),
                Direction::Down => remove(&mut self.rows, &step.revision),
            },
            (Way::Up(up), Some(r)) if step.direction == Direction::Up && r > up.last => {
                up.follow(graph, &mut self.rows, r);
            }
            (Way::Up(_), _) => return None,
        }
        Some(self.rows.clone())
    }
}

impl Tips {
    /// Moves `rows` over the step of `r`; `None` (nothing changed) when the step would leave
    /// rows that are not the tips of what they mean applied.
    fn follow(
        &mut self,
        graph: &RevisionGraph,
        rows: &mut Vec<RevisionId>,
        r: usize,
        direction: Direction,
    ) -> Option<()> {
        let node = &graph.nodes[r];
        count(1 + node.parents.len() + node.deps.len() + node.dependents.len());
        match direction {
            // Applied already: a row stays a row (the step replaces it with itself); a
            // revision below a row would get a row of its own.
            Direction::Up if self.applied[r] => (self.applied_children[r] == 0).then_some(()),
            Direction::Up => {
                if !node.parents.iter().chain(&node.deps).all(|&p| self.applied[p]) {
                    return None;
                }
                self.applied[r] = true;
                for &p in &node.parents {
                    if self.applied_children[p] == 0 {
                        remove(rows, graph.id(p));
                    }
                    self.applied_children[p] += 1;
                }
                insert(rows, graph.id(r));
                Some(())
            }
            Direction::Down if !self.applied[r] => Some(()),
            Direction::Down => {
                // An applied revision that still needs `r` would keep it applied.
                if self.applied_children[r] > 0 || node.dependents.iter().any(|&d| self.applied[d]) {
                    return None;
                }
                self.applied[r] = false;
                remove(rows, graph.id(r));
                for &p in &node.parents {
                    self.applied_children[p] -= 1;
                    if self.applied_children[p] == 0 {
                        insert(rows, graph.id(p));
                    }
                }
                Some(())
            }
        }
    }
}

impl Upward {
    /// Moves `rows` over the upgrade of `r`: only the revisions below it that no earlier step
    /// walked past can be rows it replaces, besides the walked ones themselves.
    fn follow(&mut self, graph: &RevisionGraph, rows: &mut Vec<RevisionId>, r: usize) {
        let mut stack = vec![r];
        while let Some(i) = stack.pop() {
            count(1);
            if std::mem::take(&mut self.row[i]) {
                remove(rows, graph.id(i));
            }
            if !std::mem::replace(&mut self.walked[i], true) {
                stack.extend(&graph.nodes[i].parents);
            }
        }
        self.row[r] = true;
        self.last = r;
        insert(rows, graph.id(r));
    }
}

/// Removes `id` from the sorted `rows`.
fn remove(rows: &mut Vec<RevisionId>, id: &RevisionId) {
    if let Ok(k) = rows.binary_search(id) {
        rows.remove(k);
    }
}

/// Adds `id` to the sorted `rows`, once.
fn insert(rows: &mut Vec<RevisionId>, id: &RevisionId) {
    if let Err(k) = rows.binary_search(id) {
        rows.insert(k, id.clone());
    }
}
