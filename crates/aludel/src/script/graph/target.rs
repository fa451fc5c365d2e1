//! Alembic's target syntax resolved against the graph: ids and prefixes, `head`, branch
//! labels, `label@head`, and steps counted with `+N` / `-N`.

use crate::script::graph::{Edges, RevisionGraph};
use crate::script::{Direction, RevisionId, ScriptError};

impl RevisionGraph {
    /// Resolves a target that names one revision: a full id, a unique id prefix, `head`
    /// (when there is one head), a branch label, `<label>@head`, `<label>@<prefix>`, or any
    /// of these followed by `+N` / `-N` (N revisions above / below).
    ///
    /// # Errors
    ///
    /// [`ScriptError::UnknownRevision`], [`ScriptError::AmbiguousPrefix`],
    /// [`ScriptError::MultipleHeads`], [`ScriptError::UnknownLabel`],
    /// [`ScriptError::NoRevisions`], [`ScriptError::RelativeOutOfRange`],
    /// [`ScriptError::AmbiguousStep`], and [`ScriptError::InvalidTarget`] for targets that
    /// name no single revision (`heads`, `base`, `+1`).
    pub fn resolve(&self, target: &str) -> Result<RevisionId, ScriptError> {
        self.resolve_index(target).map(|i| self.id(i).clone())
    }

    pub(super) fn resolve_index(&self, target: &str) -> Result<usize, ScriptError> {
        let invalid = |reason: String| ScriptError::InvalidTarget { target: target.to_owned(), reason };
        match target {
            "" => return Err(invalid("the target is empty; use `head`, a revision id or a branch label".to_owned())),
            "head" => return self.single_head(target),
            "heads" => {
                return Err(invalid("`heads` names every head, not one revision; name one of them".to_owned()));
            }
            "base" => return Err(invalid("`base` is below every revision, not a revision".to_owned())),
            _ => {}
        }
        if let Some(i) = self.position(target) {
            return Ok(i);
        }
        if let Some(i) = self.labelled(target) {
            return Ok(i);
        }
        if current_relative(target)?.is_some() {
            return Err(invalid(
                "it counts from the database's current revision; name a revision to count from, e.g. `head-1`"
                    .to_owned(),
            ));
        }
        if let Some(relative) = split_relative(target)? {
            let start = self.resolve_index(relative.from)?;
            return self.walk(target, start, relative.direction, relative.count);
        }
        if let Some((label, rest)) = target.split_once('@') {
            let l = self.branch_index(target, label)?;
            return match rest {
                "head" => self.branch_head(l),
                "base" => Err(invalid(format!("`{label}@base` is below the branch, not a revision"))),
                "" => Err(invalid(format!("nothing follows `@`; use `{label}@head` or `{label}@<revision>`"))),
                prefix => {
                    let branch = self.down_mask([l], Edges::Lineage);
                    self.prefix_match(prefix, |i| branch[i]).map_err(|error| match error {
                        ScriptError::UnknownRevision { .. } if self.prefix_match(prefix, |_| true).is_ok() => {
                            invalid(format!(
                                "`{prefix}` is not on the branch of `{label}` (it is not `{}` or above it); name \
                                 it alone",
                                self.id(l)
                            ))
                        }
                        other => other,
                    })
                }
            };
        }
        self.prefix_match(target, |_| true)
    }

    /// The only revision whose id starts with `prefix` among those `keep` accepts.
    pub(super) fn prefix_match(&self, prefix: &str, keep: impl Fn(usize) -> bool) -> Result<usize, ScriptError> {
        let start = self.by_id.partition_point(|&i| self.id(i).as_str() < prefix);
        let mut found: Vec<usize> = self.by_id[start..]
            .iter()
            .copied()
            .take_while(|&i| self.id(i).as_str().starts_with(prefix))
            .filter(|&i| keep(i))
            .collect();
        match found.len() {
            0 => Err(ScriptError::UnknownRevision { target: prefix.to_owned() }),
            1 => Ok(found[0]),
            _ => {
                found.sort_by(|&a, &b| self.id(a).cmp(self.id(b)));
                Err(ScriptError::AmbiguousPrefix { prefix: prefix.to_owned(), candidates: self.owned_ids(&found) })
            }
        }
    }

    pub(super) fn single_head(&self, target: &str) -> Result<usize, ScriptError> {
        match self.heads.as_slice() {
            [] => Err(ScriptError::NoRevisions { target: target.to_owned() }),
            [one] => Ok(*one),
            many => Err(ScriptError::MultipleHeads { heads: self.owned_ids(many) }),
        }
    }

    /// The revision that names a branch in `<branch>@...` within `target`: a branch label, or
    /// (as in Alembic, for a branch without one) a revision id or unique prefix.
    pub(super) fn branch_index(&self, target: &str, name: &str) -> Result<usize, ScriptError> {
        if name.is_empty() {
            return Err(ScriptError::InvalidTarget {
                target: target.to_owned(),
                reason: "nothing comes before `@`; name a branch label or a revision there".to_owned(),
            });
        }
        if let Some(i) = self.labelled(name) {
            return Ok(i);
        }
        match self.prefix_match(name, |_| true) {
            Err(ScriptError::UnknownRevision { .. }) => Err(ScriptError::UnknownLabel { label: name.to_owned() }),
            found => found,
        }
    }

    /// The revisions of the branch `l` names in Alembic's sense: `l`'s ancestors and
    /// descendants through `down_revision`, the line a count along the branch follows.
    pub(super) fn lineage_mask(&self, l: usize) -> Vec<bool> {
        let below = self.up_mask([l], Edges::Lineage);
        let above = self.down_mask([l], Edges::Lineage);
        below.into_iter().zip(above).map(|(below, above)| below || above).collect()
    }

    /// The head of the branch that starts at (or runs through) `l`.
    pub(super) fn branch_head(&self, l: usize) -> Result<usize, ScriptError> {
        let branch = self.down_mask([l], Edges::Lineage);
        let heads: Vec<usize> = self.heads.iter().copied().filter(|&h| branch[h]).collect();
        match heads.as_slice() {
            [one] => Ok(*one),
            // Following children from any revision ends at a head, so there is at least one.
            _ => Err(ScriptError::MultipleHeads { heads: self.owned_ids(&heads) }),
        }
    }

    /// Moves `count` revisions from `start` along `down_revision`, stopping with an error at
    /// a fork or the end of the line.
    pub(super) fn walk(
        &self,
        target: &str,
        start: usize,
        direction: Direction,
        count: usize,
    ) -> Result<usize, ScriptError> {
        let mut at = start;
        for done in 0..count {
            let next = match direction {
                Direction::Up => &self.nodes[at].children,
                Direction::Down => &self.nodes[at].parents,
            };
            at = self.one_way(target, Some(at), next, count, done)?;
        }
        Ok(at)
    }

    /// The one revision of `next`; `done` steps of `count` are behind.
    pub(super) fn one_way(
        &self,
        target: &str,
        from: Option<usize>,
        next: &[usize],
        count: usize,
        done: usize,
    ) -> Result<usize, ScriptError> {
        match next {
            [] => Err(ScriptError::RelativeOutOfRange { target: target.to_owned(), steps: count, available: done }),
            [one] => Ok(*one),
            many => {
                let mut choices = self.owned_ids(many);
                choices.sort();
                Err(ScriptError::AmbiguousStep {
                    target: target.to_owned(),
                    from: from.map_or_else(|| "base".to_owned(), |i| format!("`{}`", self.id(i))),
                    choices,
                })
            }
        }
    }
}

/// A target that counts revisions: `<from>+N` or `<from>-N`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Relative<'a> {
    /// What it counts from: a revision, or for [`current_relative`] a label or nothing.
    pub(super) from: &'a str,
    pub(super) direction: Direction,
    pub(super) count: usize,
}

impl<'a> Relative<'a> {
    /// The branch label of `<label>@+N` / `<label>@-N`.
    pub(super) fn label(&self) -> Option<&'a str> {
        (!self.from.is_empty()).then_some(self.from)
    }
}

/// Splits `<from>+N` / `<from>-N` (`from` may be empty).
///
/// # Errors
///
/// [`ScriptError::InvalidTarget`] for a count of 0 or one too large.
pub(super) fn split_relative(target: &str) -> Result<Option<Relative<'_>>, ScriptError> {
    let Some(sign) = target.rfind(['+', '-']) else { return Ok(None) };
    let digits = &target[sign + 1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let invalid = |reason: &str| ScriptError::InvalidTarget { target: target.to_owned(), reason: reason.to_owned() };
    let count: usize = digits.parse().map_err(|_| invalid("the step count is too large"))?;
    if count == 0 {
        return Err(invalid("a step count of 0 goes nowhere; count 1 or more"));
    }
    let direction = if target.as_bytes()[sign] == b'+' { Direction::Up } else { Direction::Down };
    Ok(Some(Relative { from: &target[..sign], direction, count }))
}

/// Splits the targets that count from the database's current head: `+N`, `-N`,
/// `<label>@+N` and `<label>@-N`.
pub(super) fn current_relative(target: &str) -> Result<Option<Relative<'_>>, ScriptError> {
    Ok(split_relative(target)?.and_then(|relative| {
        if relative.from.is_empty() {
            Some(relative)
        } else {
            let label = relative.from.strip_suffix('@')?;
            Some(Relative { from: label, ..relative })
        }
    }))
}
