//! Planning a run: which revisions are applied, and the steps that take the database from
//! where it is to a target (upgrade, downgrade, stamp), and history ranges.

use std::collections::BTreeSet;

use crate::script::graph::target::{Relative, current_relative, split_relative};
use crate::script::graph::{Edges, Plan, RevisionGraph, Step};
use crate::script::{Direction, Revision, RevisionFile, RevisionId, ScriptError};

impl RevisionGraph {
    /// The first of `ids` (in their order) that descends from another of them through
    /// `down_revision` alone (its branch's line, not what `depends_on` pulls in), with the
    /// first of the others it descends from: what a merge of `ids` cannot join.
    pub(crate) fn lineage_pair(&self, ids: &[RevisionId]) -> Result<Option<(RevisionId, RevisionId)>, ScriptError> {
        let positions = self.current_indices(ids)?;
        // One walk for all of them: what lies strictly above any of them.
        let children = positions.iter().flat_map(|&i| self.nodes[i].children.iter().copied());
        let above_one = self.down_mask(children, Edges::Lineage);
        let Some(&descendant) = positions.iter().find(|&&i| above_one[i]) else { return Ok(None) };
        let below = self.up_mask([descendant], Edges::Lineage);
        let ancestor = positions
            .iter()
            .copied()
            .find(|&a| a != descendant && below[a])
            .expect("a revision above one of the others descends from it");
        Ok(Some((self.id(descendant).clone(), self.id(ancestor).clone())))
    }

    /// The revisions applied when the version table holds `current`: those heads and
    /// everything they need, through `down_revision` and `depends_on`.
    ///
    /// # Errors
    ///
    /// [`ScriptError::UnknownCurrent`] when a current revision has no file.
    pub fn applied(&self, current: &[RevisionId]) -> Result<BTreeSet<RevisionId>, ScriptError> {
        let mask = self.up_mask(self.current_indices(current)?, Edges::All);
        Ok(mask.iter().enumerate().filter(|(_, on)| **on).map(|(i, _)| self.id(i).clone()).collect())
    }

    /// The steps that take the database from `current` to `target`: every revision the
    /// target needs that is not applied yet, parents first. An applied target gives an
    /// empty plan.
    ///
    /// `target` is `head`, `heads`, a revision (id, prefix, label, `<label>@head`,
    /// `<rev>+N`), `+N` (from the current head, or from base when nothing is applied) or
    /// `<label>@+N` (from the current head of that branch).
    ///
    /// # Errors
    ///
    /// [`ScriptError::UnknownCurrent`], any error of [`RevisionGraph::resolve`],
    /// [`ScriptError::AmbiguousCurrent`] for `+N` with several current heads, and
    /// [`ScriptError::InvalidTarget`] for downgrade targets.
    pub fn plan_upgrade(&self, current: &[RevisionId], target: &str) -> Result<Plan, ScriptError> {
        let applied = self.up_mask(self.current_indices(current)?, Edges::All);
        let targets = self.upgrade_targets(current, target)?;
        let needed = self.up_mask(targets, Edges::All);
        let steps = self
            .positions()
            .filter(|&i| needed[i] && !applied[i])
            .map(|i| Step { revision: self.id(i).clone(), direction: Direction::Up })
            .collect();
        Ok(Plan { steps })
    }

    /// The revisions an upgrade (or stamp) target names.
    fn upgrade_targets(&self, current: &[RevisionId], target: &str) -> Result<Vec<usize>, ScriptError> {
        let invalid =
            |reason: &str| ScriptError::InvalidTarget { target: target.to_owned(), reason: reason.to_owned() };
        match target {
            "heads" => return Ok(self.heads.clone()),
            "head" if self.is_empty() => return Ok(Vec::new()),
            "base" => {
                return Err(invalid(
                    "`base` is below every revision; to revert everything use `aludel downgrade base`",
                ));
            }
            _ => {}
        }
        match current_relative(target)? {
            Some(Relative { direction: Direction::Down, .. }) => {
                Err(invalid("it counts down; use `aludel downgrade` to revert revisions"))
            }
            Some(relative) => {
                let count = relative.count;
                let label = relative.label().map(|l| self.branch_index(target, l)).transpose()?;
                // A branch is counted along its whole line, from base, as in Alembic: the
                // revisions below the labelled one are its first steps, and the count starts
                // at the highest of them applied.
                let lineage = label.map(|l| self.lineage_mask(l));
                let mut at = match &lineage {
                    Some(lineage) => self.applied_tip_in(current, target, lineage)?,
                    None => self.current_head_in(current, target, None)?,
                };
                for done in 0..count {
                    let next: Vec<usize> = match at {
                        Some(i) => self.nodes[i].children.as_slice(),
                        None => self.bases.as_slice(),
                    }
                    .iter()
                    .copied()
                    .filter(|&n| lineage.as_ref().is_none_or(|lineage| lineage[n]))
                    .collect();
                    at = Some(self.one_way(target, at, &next, count, done)?);
                }
                Ok(at.into_iter().collect())
            }
            None => Ok(vec![self.resolve_index(target)?]),
        }
    }

    /// The highest applied revision of `lineage` (see [`RevisionGraph::lineage_mask`]), which
    /// an upgrade along a branch counts from; `None` when none is applied.
    fn applied_tip_in(
        &self,
        current: &[RevisionId],
        target: &str,
        lineage: &[bool],
    ) -> Result<Option<usize>, ScriptError> {
        let applied = self.up_mask(self.current_indices(current)?, Edges::All);
        let on_line = |i: usize| applied[i] && lineage[i];
        let tips: Vec<usize> =
            self.positions().filter(|&i| on_line(i) && !self.nodes[i].children.iter().any(|&c| on_line(c))).collect();
        self.only_head(target, tips)
    }

    /// The current head that a relative target counts from: the only one, or the only one
    /// on the branch of `label` (its line: see [`RevisionGraph::lineage_mask`]); `None`
    /// when there is none.
    fn current_head_in(
        &self,
        current: &[RevisionId],
        target: &str,
        label: Option<usize>,
    ) -> Result<Option<usize>, ScriptError> {
        let mut heads = self.current_indices(current)?;
        if let Some(l) = label {
            let lineage = self.lineage_mask(l);
            heads.retain(|&h| lineage[h]);
        }
        self.only_head(target, heads)
    }

    /// The one revision of `heads`, `None` for none, or the error naming them all.
    fn only_head(&self, target: &str, mut heads: Vec<usize>) -> Result<Option<usize>, ScriptError> {
        heads.sort_unstable();
        heads.dedup();
        match heads.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => {
                let mut heads = self.owned_ids(many);
                heads.sort();
                Err(ScriptError::AmbiguousCurrent { target: target.to_owned(), heads })
            }
        }
    }

    /// The steps that revert the database from `current` to `target`, children first.
    ///
    /// `target` is `base` (revert everything), a revision (revert what was applied after
    /// it), `-N` (the last N revisions below the current head), `<label>@-N`, `<rev>-N` or
    /// `<label>@base` (revert that branch).
    ///
    /// # Errors
    ///
    /// [`ScriptError::UnknownCurrent`], any error of [`RevisionGraph::resolve`],
    /// [`ScriptError::NotApplied`] when the target is not applied (an upgrade),
    /// [`ScriptError::RelativeOutOfRange`] for `-N` past the base,
    /// [`ScriptError::AmbiguousCurrent`] for `-N` with several current heads,
    /// [`ScriptError::InvalidTarget`] for upgrade targets, and
    /// [`ScriptError::DowngradeNotWritten`] when the plan passes a revision whose file does
    /// not say how to undo its upgrade ([`Revision::lacks_downgrade`]).
    pub fn plan_downgrade(&self, current: &[RevisionId], target: &str) -> Result<Plan, ScriptError> {
        let applied = self.up_mask(self.current_indices(current)?, Edges::All);
        let revert = self.revert_set(current, target, &applied)?;
        let steps: Vec<Step> = self
            .positions()
            .rev()
            .filter(|&i| revert[i] && applied[i])
            .map(|i| Step { revision: self.id(i).clone(), direction: Direction::Down })
            .collect();
        self.check_downgrades_written(steps.iter().map(|step| &step.revision))?;
        Ok(Plan { steps })
    }

    /// Refuses downgrading through any of `revisions` that lacks a downgrade, naming them all:
    /// the one gate every way of downgrading passes (a run, a `--sql` script, `aludel test`'s
    /// steps), so none of them can move the version below a revision and leave its changes.
    ///
    /// # Errors
    ///
    /// [`ScriptError::DowngradeNotWritten`] listing them, in the order given.
    pub fn check_downgrades_written<'a>(
        &self,
        revisions: impl IntoIterator<Item = &'a RevisionId>,
    ) -> Result<(), ScriptError> {
        let missing: Vec<RevisionFile> = revisions
            .into_iter()
            .filter_map(|id| self.get(id))
            .filter(|revision| revision.lacks_downgrade())
            .map(RevisionFile::of)
            .collect();
        if missing.is_empty() { Ok(()) } else { Err(ScriptError::DowngradeNotWritten { revisions: missing }) }
    }

    /// The revisions a downgrade target reverts, applied or not.
    fn revert_set(&self, current: &[RevisionId], target: &str, applied: &[bool]) -> Result<Vec<bool>, ScriptError> {
        if target == "base" {
            return Ok(vec![true; self.nodes.len()]);
        }
        if let Some(relative) = current_relative(target)? {
            let count = relative.count;
            if relative.direction == Direction::Up {
                return Err(ScriptError::InvalidTarget {
                    target: target.to_owned(),
                    reason: "it counts up; use `aludel upgrade` to apply revisions".to_owned(),
                });
            }
            let label = relative.label().map(|l| self.branch_index(target, l)).transpose()?;
            let Some(head) = self.current_head_in(current, target, label)? else {
                return Err(ScriptError::RelativeOutOfRange { target: target.to_owned(), steps: count, available: 0 });
            };
            return self.revert_from(target, head, count, applied);
        }
        if let Some(label) = target.strip_suffix("@base") {
            let l = self.branch_index(target, label)?;
            return Ok(self.down_mask([l], Edges::All));
        }
        let exact = self.position(target).is_some() || self.labelled(target).is_some();
        if !exact
            && let Some(relative) = split_relative(target)?
            && relative.direction == Direction::Down
        {
            let start = self.resolve_index(relative.from)?;
            return self.revert_from(target, start, relative.count, applied);
        }
        let x = self.resolve_index(target)?;
        if !applied[x] {
            return Err(ScriptError::NotApplied { target: target.to_owned(), rev: self.id(x).clone() });
        }
        let mut revert = self.down_mask([x], Edges::All);
        revert[x] = false;
        Ok(revert)
    }

    /// Reverting `count` revisions down the line from `start` (itself the first): everything
    /// that descends from the last of them.
    fn revert_from(
        &self,
        target: &str,
        start: usize,
        count: usize,
        applied: &[bool],
    ) -> Result<Vec<bool>, ScriptError> {
        let mut at = start;
        for done in 1..count {
            at = self.one_way(target, Some(at), &self.nodes[at].parents, count, done)?;
        }
        if let Some(&p) = self.nodes[at].parents.iter().find(|&&p| !applied[p]) {
            return Err(ScriptError::NotApplied { target: target.to_owned(), rev: self.id(p).clone() });
        }
        Ok(self.down_mask([at], Edges::All))
    }

    /// The version table's rows after `aludel stamp <target>`, sorted.
    ///
    /// `target` is `base` (no rows), an upgrade target (see [`RevisionGraph::plan_upgrade`])
    /// or a downgrade target that counts down (`-N`, `<label>@-N`, `<label>@base`). With
    /// `purge` the rows are exactly the target's and `current` is not checked (this is how
    /// a version table that names deleted revisions is repaired). Without it, current heads
    /// that are neither ancestors nor descendants of the target are kept.
    ///
    /// # Errors
    ///
    /// [`ScriptError::UnknownCurrent`] (without `purge`) and any error of the target.
    pub fn stamp_heads(
        &self,
        current: &[RevisionId],
        target: &str,
        purge: bool,
    ) -> Result<Vec<RevisionId>, ScriptError> {
        if target == "base" {
            return Ok(Vec::new());
        }
        if self.counts_down(target)? {
            let plan = self.plan_downgrade(current, target)?;
            let mut heads = current.to_vec();
            heads.sort();
            for step in &plan.steps {
                heads = self.heads_after(&heads, step);
            }
            return Ok(heads);
        }
        let targets = self.upgrade_targets(current, target)?;
        let mut heads = Vec::new();
        if !purge {
            let current = self.current_indices(current)?;
            let above = self.down_mask(targets.iter().copied(), Edges::All);
            let below = self.up_mask(targets.iter().copied(), Edges::All);
            heads.extend(current.into_iter().filter(|&h| !above[h] && !below[h]).map(|h| self.id(h).clone()));
        }
        heads.extend(targets.into_iter().map(|t| self.id(t).clone()));
        heads.sort();
        heads.dedup();
        Ok(heads)
    }

    /// The version table's rows after `aludel stamp <targets...>`: each target stamped in
    /// turn, the first with `purge`, so that unrelated targets stand side by side (`stamp a1 b2`
    /// of two branches holds both). A target that an earlier one of the same command lies
    /// above is implied by it and changes nothing, as in Alembic: `stamp a3 a1` is `a3`
    /// whatever the order (stamped in turn, `a1` replaced `a3`).
    ///
    /// # Errors
    ///
    /// Those of [`RevisionGraph::stamp_heads`].
    pub fn stamp_heads_all(
        &self,
        current: &[RevisionId],
        targets: &[&str],
        purge: bool,
    ) -> Result<Vec<RevisionId>, ScriptError> {
        if targets.iter().skip(1).any(|t| *t == "base") {
            // After other targets, `base` would empty the table of what they just stamped.
            return Err(ScriptError::InvalidTarget {
                target: "base".to_owned(),
                reason: "`base` empties the version table, so after other targets it would undo them; put it \
                         first (`stamp base <revision>` starts from an empty table) or leave it out"
                    .to_owned(),
            });
        }
        let mut heads = current.to_vec();
        let mut stamped = Vec::new();
        for (i, target) in targets.iter().enumerate() {
            let named = match *target == "base" || self.counts_down(target)? {
                true => None,
                false => Some(self.upgrade_targets(&heads, target)?),
            };
            if let Some(named) = &named {
                let implied = self.up_mask(stamped.iter().copied(), Edges::All);
                if i > 0 && named.iter().all(|&t| implied[t]) {
                    continue;
                }
            }
            heads = self.stamp_heads(&heads, target, purge && i == 0)?;
            stamped.extend(named.into_iter().flatten());
        }
        Ok(heads)
    }

    /// Whether a stamp `target` counts down from the current heads (`-N`, `<label>@-N`,
    /// `<label>@base`) rather than naming revisions.
    fn counts_down(&self, target: &str) -> Result<bool, ScriptError> {
        Ok(match current_relative(target)? {
            Some(relative) => relative.direction == Direction::Down,
            None => target.ends_with("@base") && self.labelled(target).is_none(),
        })
    }

    /// Revisions newest first, like `alembic history`; `range` limits them to
    /// `<from>:<to>` (inclusive), `<from>:` or `:<to>`, where each end is a revision,
    /// `base`, `head` or `heads`.
    ///
    /// # Errors
    ///
    /// [`ScriptError::InvalidTarget`] for a malformed range or one whose start is not an
    /// ancestor of its end, and any error of [`RevisionGraph::resolve`].
    pub fn history(&self, range: Option<&str>) -> Result<Vec<&Revision>, ScriptError> {
        self.history_at(range, None)
    }

    /// [`RevisionGraph::history`], where either end of `range` may also be `current`: the
    /// revisions `current` names (the database's heads), when given.
    ///
    /// # Errors
    ///
    /// Those of [`RevisionGraph::history`]; [`ScriptError::InvalidTarget`] for `current`
    /// without `current` heads, and [`ScriptError::UnknownCurrent`] for a head the graph does
    /// not know.
    pub fn history_at(
        &self,
        range: Option<&str>,
        current: Option<&[RevisionId]>,
    ) -> Result<Vec<&Revision>, ScriptError> {
        let Some(range) = range else {
            return Ok(self.positions().rev().map(|i| &self.nodes[i].revision).collect());
        };
        let invalid = |reason: String| ScriptError::InvalidTarget { target: range.to_owned(), reason };
        let Some((lower, upper)) = range.split_once(':') else {
            return Err(invalid("a range is `<from>:<to>`, `<from>:` or `:<to>`, e.g. `base:head`".to_owned()));
        };
        let current_heads = || match current {
            Some(heads) => self.current_indices(heads),
            None => Err(invalid("`current` needs the database, which this command does not read".to_owned())),
        };
        let low = match lower {
            "" | "base" => None,
            "heads" => Some(self.heads.clone()),
            "current" => Some(current_heads()?).filter(|heads| !heads.is_empty()),
            // The bottom of a branch: its labelled revision, as `downgrade <label>@base` reverts.
            other if other.ends_with("@base") && self.labelled(other).is_none() => {
                Some(vec![self.branch_index(range, &other[..other.len() - "@base".len()])?])
            }
            other => Some(vec![self.resolve_index(other)?]),
        };
        let high = match upper {
            "" | "heads" => None,
            "base" => return Err(invalid("`base` is below every revision, so a range cannot end there".to_owned())),
            "current" => Some(current_heads()?),
            other => Some(vec![self.resolve_index(other)?]),
        };
        if let (Some([a]), Some([b])) = (low.as_deref(), high.as_deref())
            && !self.up_mask([*b], Edges::All)[*a]
        {
            return Err(invalid(format!(
                "`{lower}` ({}) is not an ancestor of `{upper}` ({}); the lower end comes first",
                self.id(*a),
                self.id(*b)
            )));
        }
        let low = low.map(|starts| self.down_mask(starts, Edges::All));
        let high = high.map(|starts| self.up_mask(starts, Edges::All));
        let inside = |i: usize| low.as_ref().is_none_or(|m| m[i]) && high.as_ref().is_none_or(|m| m[i]);
        Ok(self.positions().rev().filter(|&i| inside(i)).map(|i| &self.nodes[i].revision).collect())
    }
}
