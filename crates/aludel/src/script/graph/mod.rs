//! The revision graph: how revisions relate, Alembic's target syntax, and planning.
//!
//! Revisions point at their parents (`down_revision`, several for a merge) and at revisions
//! on other branches they need (`depends_on`). A [`RevisionGraph`] checks that those form a
//! DAG and answers what `upgrade`, `downgrade`, `stamp` and `history` need: which revisions a
//! target names and in which order to apply or revert them. The database's state comes in as
//! the version table's rows (`current`); nothing here does IO.
//!
//! Targets:
//!
//! | target | upgrade | downgrade | names |
//! | --- | --- | --- | --- |
//! | `head` / `heads` | the single head / every head | — | the head |
//! | `<id>`, `<id prefix>`, `<label>` | up to it | back to it | that revision |
//! | `<label>@head` | | | the head of that branch |
//! | `+N` / `<label>@+N` | N steps up from the current head | | |
//! | `-N` / `<label>@-N` | | N steps down from the current head | |
//! | `<rev>+N` / `<rev>-N` | | | N steps above / below `<rev>` |
//! | `base` / `<label>@base` | | everything / that branch | |
//!
//! A branch (`<label>@...`) is, as in Alembic, the line through the labelled revision: its
//! ancestors and descendants along `down_revision`, so `<label>@+1` on an empty database is
//! the first revision of that line. A revision id (or unique prefix) may stand before `@` for
//! a branch without a label. `<label>@base` reverts the labelled revision and what is above
//! it (Alembic also reverts what is below it, down to a branch point).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use crate::script::{Revision, RevisionId, ScriptError, check_label};

mod plan;
mod rows;
mod target;

/// Whether a step applies a revision or reverts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Run the revision's `[[upgrade]]` ops.
    Up,
    /// Run the revision's `[[downgrade]]` ops.
    Down,
}

/// One revision applied or reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The revision.
    pub revision: RevisionId,
    /// Up or down.
    pub direction: Direction,
}

/// The steps that take the database to a target, in the order to run them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Parents before children going up; children before parents going down.
    pub steps: Vec<Step>,
}

/// Which edges a walk through the graph follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edges {
    /// `down_revision` only: a branch's own line, which decides the heads.
    Lineage,
    /// `down_revision` and `depends_on`: everything that must be applied first.
    All,
}

#[derive(Debug, Clone)]
struct Node {
    revision: Revision,
    /// `down_revisions`, as graph positions, without repeats.
    parents: Vec<usize>,
    /// `depends_on`, as graph positions, without repeats.
    deps: Vec<usize>,
    /// Revisions whose `down_revision` names this one, sorted by id.
    children: Vec<usize>,
    /// Revisions whose `depends_on` names this one.
    dependents: Vec<usize>,
}

/// Every revision of a script directory, checked to form a DAG, in topological order.
///
/// # Examples
///
/// ```
/// use std::path::PathBuf;
/// use aludel::script::{Revision, RevisionGraph, RevisionId};
///
/// let revision = |id: &str, parent: Option<&str>| Revision {
///     id: RevisionId::parse(id).unwrap(),
///     down_revisions: parent.map(|p| RevisionId::parse(p).unwrap()).into_iter().collect(),
///     message: String::new(),
///     created: None,
///     branch_labels: vec![],
///     depends_on: vec![],
///     transactional: true,
///     upgrade: vec![],
///     downgrade: vec![],
///     downgrade_written: false,
///     fixtures: Default::default(),
///     allow: Default::default(),
///     limits: Default::default(),
///     path: PathBuf::from(format!("{id}.toml")),
/// };
/// let graph = RevisionGraph::from_revisions(vec![revision("b2", Some("a1")), revision("a1", None)])?;
/// let a1 = RevisionId::parse("a1")?;
/// let plan = graph.plan_upgrade(&[a1], "head")?;
/// assert_eq!(plan.steps.len(), 1);
/// assert_eq!(plan.steps[0].revision.as_str(), "b2");
/// # Ok::<(), aludel::script::ScriptError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RevisionGraph {
    /// In topological order: parents and dependencies before the revisions that need them.
    nodes: Vec<Node>,
    /// Positions sorted by id: lookups and prefix searches by binary search.
    by_id: Vec<usize>,
    /// Each branch label with the revision that carries it, sorted by label.
    labels: Vec<(String, usize)>,
    /// Sorted by id.
    heads: Vec<usize>,
    /// Sorted by id.
    bases: Vec<usize>,
    memo: Memo,
}

/// What the graph works out the first time it is asked and then keeps, so that a command
/// asking once per revision (`history` marks each with its branches) or once per step (a
/// run moving the version table's rows) does not walk the graph each time.
#[derive(Default)]
struct Memo {
    /// By position: the branch labels that cover the revision, as indices into `labels`,
    /// sorted. A revision that adds no label to its one parent's shares that parent's list.
    branches: OnceLock<Vec<Arc<[usize]>>>,
    /// Where the last [`RevisionGraph::heads_after`] left the rows (see `rows.rs`).
    rows: Mutex<Option<rows::Walk>>,
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        // The walk belongs to the run that made it; a copy of the graph starts its own.
        Memo { branches: self.branches.clone(), rows: Mutex::default() }
    }
}

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Memo")
    }
}

impl RevisionGraph {
    /// Checks the revisions and links them into a graph.
    ///
    /// Revisions are ordered parents first; among revisions ready at the same time the one
    /// created first (then the smaller id) comes first, so the order does not depend on
    /// the order of `revisions`.
    ///
    /// # Errors
    ///
    /// [`ScriptError::DuplicateRevision`], [`ScriptError::MissingParent`],
    /// [`ScriptError::MissingDependency`], [`ScriptError::DuplicateLabel`],
    /// [`ScriptError::LabelIsAnId`] and
    /// [`ScriptError::Cycle`].
    pub fn from_revisions(revisions: Vec<Revision>) -> Result<RevisionGraph, ScriptError> {
        // Sorting positions by id (rather than building a map of cloned ids) keeps loading a
        // long history cheap.
        let mut by_id: Vec<usize> = (0..revisions.len()).collect();
        by_id.sort_by(|&a, &b| revisions[a].id.cmp(&revisions[b].id).then(a.cmp(&b)));
        if let Some(pair) = by_id.windows(2).find(|pair| revisions[pair[0]].id == revisions[pair[1]].id) {
            return Err(ScriptError::DuplicateRevision {
                id: revisions[pair[0]].id.clone(),
                first: revisions[pair[0]].path.clone(),
                second: revisions[pair[1]].path.clone(),
            });
        }
        let find = |id: &RevisionId| by_id.binary_search_by(|&i| revisions[i].id.cmp(id)).ok().map(|k| by_id[k]);
        let mut labels: BTreeMap<String, usize> = BTreeMap::new();
        for (i, revision) in revisions.iter().enumerate() {
            for label in &revision.branch_labels {
                check_label(label)?;
                if let Some(&first) = labels.get(label) {
                    return Err(ScriptError::DuplicateLabel {
                        label: label.clone(),
                        first: revisions[first].id.clone(),
                        second: revision.id.clone(),
                    });
                }
                if let Some(other) = RevisionId::parse(label).ok().and_then(|id| find(&id)).filter(|&j| j != i) {
                    return Err(ScriptError::LabelIsAnId {
                        label: label.clone(),
                        rev: revision.id.clone(),
                        path: revision.path.clone(),
                        other: revisions[other].id.clone(),
                    });
                }
                labels.insert(label.clone(), i);
            }
        }
        let mut parents = Vec::with_capacity(revisions.len());
        let mut deps = Vec::with_capacity(revisions.len());
        for revision in &revisions {
            let mut own = Vec::with_capacity(revision.down_revisions.len());
            for parent in &revision.down_revisions {
                let p = find(parent).ok_or_else(|| ScriptError::MissingParent {
                    rev: revision.id.clone(),
                    parent: parent.clone(),
                    path: revision.path.clone(),
                })?;
                if !own.contains(&p) {
                    own.push(p);
                }
            }
            parents.push(own);
            let mut own = Vec::with_capacity(revision.depends_on.len());
            for dependency in &revision.depends_on {
                // A branch label names the revision that carries it, as in Alembic.
                let by_label = || labels.get(dependency.as_str()).copied();
                let d = find(dependency).or_else(by_label).ok_or_else(|| ScriptError::MissingDependency {
                    rev: revision.id.clone(),
                    dependency: dependency.clone(),
                    path: revision.path.clone(),
                })?;
                if !own.contains(&d) {
                    own.push(d);
                }
            }
            deps.push(own);
        }

        let order = topological_order(&revisions, &parents, &deps)?;
        let mut position = vec![0; revisions.len()];
        for (pos, &old) in order.iter().enumerate() {
            position[old] = pos;
        }
        let mut slots: Vec<Option<Revision>> = revisions.into_iter().map(Some).collect();
        let mut nodes: Vec<Node> = order
            .iter()
            .map(|&old| Node {
                revision: slots[old].take().expect("each revision is placed once"),
                parents: parents[old].iter().map(|&p| position[p]).collect(),
                deps: deps[old].iter().map(|&d| position[d]).collect(),
                children: Vec::new(),
                dependents: Vec::new(),
            })
            .collect();
        for i in 0..nodes.len() {
            for p in nodes[i].parents.clone() {
                nodes[p].children.push(i);
            }
            for d in nodes[i].deps.clone() {
                nodes[d].dependents.push(i);
            }
        }
        let sort_by_id = |nodes: &[Node], list: &mut Vec<usize>| {
            list.sort_by(|&a, &b| nodes[a].revision.id.cmp(&nodes[b].revision.id))
        };
        for i in 0..nodes.len() {
            let mut children = std::mem::take(&mut nodes[i].children);
            sort_by_id(&nodes, &mut children);
            nodes[i].children = children;
        }
        let mut heads: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].children.is_empty()).collect();
        sort_by_id(&nodes, &mut heads);
        let mut bases: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].parents.is_empty()).collect();
        sort_by_id(&nodes, &mut bases);
        let by_id = by_id.into_iter().map(|old| position[old]).collect();
        let labels = labels.into_iter().map(|(label, old)| (label, position[old])).collect();
        Ok(RevisionGraph { nodes, by_id, labels, heads, bases, memo: Memo::default() })
    }

    /// The revision with this id.
    pub fn get(&self, id: &RevisionId) -> Option<&Revision> {
        self.position(id).map(|i| &self.nodes[i].revision)
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no revisions.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every revision, parents (and dependencies) before children.
    pub fn revisions(&self) -> Vec<&Revision> {
        self.positions().map(|i| &self.nodes[i].revision).collect()
    }

    /// Revisions that are no revision's `down_revision`, sorted.
    pub fn heads(&self) -> Vec<&RevisionId> {
        self.ids(&self.heads)
    }

    /// Whether `current` (a version table's rows, in any order) is exactly the heads: the
    /// database is up to date. An empty graph is at its heads with no rows.
    pub fn is_at_heads(&self, current: &[impl AsRef<str>]) -> bool {
        let mut current: Vec<&str> = current.iter().map(AsRef::as_ref).collect();
        current.sort_unstable();
        current.dedup();
        current.len() == self.heads.len() && self.heads().iter().zip(&current).all(|(head, row)| head.as_str() == *row)
    }

    /// Revisions without a `down_revision`, sorted.
    pub fn bases(&self) -> Vec<&RevisionId> {
        self.ids(&self.bases)
    }

    /// Whether `id` is a head: no revision names it as `down_revision`. False for an
    /// unknown id.
    pub fn is_head(&self, id: &RevisionId) -> bool {
        self.position(id).is_some_and(|i| self.nodes[i].children.is_empty())
    }

    /// Revisions that two or more revisions name as `down_revision`, sorted.
    pub fn branch_points(&self) -> Vec<&RevisionId> {
        let mut points: Vec<&RevisionId> =
            self.positions().filter(|&i| self.nodes[i].children.len() > 1).map(|i| self.id(i)).collect();
        points.sort();
        points
    }

    /// Whether two or more revisions name `id` as `down_revision`. False for an unknown id.
    pub fn is_branch_point(&self, id: &RevisionId) -> bool {
        self.position(id).is_some_and(|i| self.nodes[i].children.len() > 1)
    }

    /// Revisions whose `down_revision` names `id`, sorted; empty for an unknown id.
    pub fn children(&self, id: &RevisionId) -> Vec<&RevisionId> {
        self.position(id).map(|i| self.ids(&self.nodes[i].children)).unwrap_or_default()
    }

    /// Revisions whose `depends_on` names `id`, sorted; empty for an unknown id.
    pub fn dependents(&self, id: &RevisionId) -> Vec<&RevisionId> {
        let mut ids = self.position(id).map(|i| self.ids(&self.nodes[i].dependents)).unwrap_or_default();
        ids.sort();
        ids
    }

    /// The branch labels that cover the revision `id`, as Alembic shows them: its own, then
    /// those of the revisions it descends from through `down_revision` (the branch a label
    /// starts goes on up to its heads); sorted, without repeats. Empty for an unknown id.
    pub fn branches_of(&self, id: &RevisionId) -> Vec<&str> {
        let Some(i) = self.position(id) else { return Vec::new() };
        let covering = &self.branch_sets()[i];
        count(covering.len());
        covering.iter().map(|&l| self.labels[l].0.as_str()).collect()
    }

    /// By position, the labels (indices into `labels`) that cover each revision: worked out
    /// once, parents first, each revision taking its parents' labels and adding its own.
    fn branch_sets(&self) -> &[Arc<[usize]>] {
        self.memo.branches.get_or_init(|| {
            let none: Arc<[usize]> = Arc::from([]);
            let mut own: Vec<(usize, usize)> = self.labels.iter().enumerate().map(|(l, (_, i))| (*i, l)).collect();
            own.sort_unstable();
            let mut own = own.into_iter().peekable();
            let mut sets: Vec<Arc<[usize]>> = Vec::with_capacity(self.nodes.len());
            for i in self.positions() {
                let mut set = match self.nodes[i].parents.as_slice() {
                    [] => none.clone(),
                    [first, others @ ..] => others.iter().fold(sets[*first].clone(), |set, &p| union(&set, &sets[p])),
                };
                let mut labels = Vec::new();
                while let Some((_, l)) = own.next_if(|&(at, _)| at == i) {
                    labels.push(l);
                }
                if !labels.is_empty() {
                    set = union(&set, &labels);
                }
                sets.push(set);
            }
            sets
        })
    }

    /// The revision that carries `label` in its `branch_labels`.
    pub fn label(&self, label: &str) -> Option<&RevisionId> {
        self.labelled(label).map(|i| self.id(i))
    }

    /// The graph position of the revision that carries `label`.
    fn labelled(&self, label: &str) -> Option<usize> {
        self.labels.binary_search_by(|(l, _)| l.as_str().cmp(label)).ok().map(|k| self.labels[k].1)
    }

    /// The graph position of the revision with this id.
    fn position(&self, id: impl AsRef<str>) -> Option<usize> {
        let id = id.as_ref();
        count(1);
        self.by_id.binary_search_by(|&i| self.id(i).as_str().cmp(id)).ok().map(|k| self.by_id[k])
    }

    /// Every graph position, in order; a scan of the whole graph.
    fn positions(&self) -> Range<usize> {
        count(self.nodes.len());
        0..self.nodes.len()
    }

    fn ids(&self, list: &[usize]) -> Vec<&RevisionId> {
        list.iter().map(|&i| &self.nodes[i].revision.id).collect()
    }

    fn id(&self, i: usize) -> &RevisionId {
        &self.nodes[i].revision.id
    }

    fn owned_ids(&self, list: &[usize]) -> Vec<RevisionId> {
        list.iter().map(|&i| self.id(i).clone()).collect()
    }

    /// Positions of `current`.
    fn current_indices(&self, current: &[RevisionId]) -> Result<Vec<usize>, ScriptError> {
        current
            .iter()
            .map(|id| self.position(id).ok_or_else(|| ScriptError::UnknownCurrent { rev: id.clone() }))
            .collect()
    }

    /// Ancestors-or-self of `starts`.
    fn up_mask(&self, starts: impl IntoIterator<Item = usize>, edges: Edges) -> Vec<bool> {
        self.reach(starts, edges, |node| (&node.parents, &node.deps))
    }

    /// Descendants-or-self of `starts`.
    fn down_mask(&self, starts: impl IntoIterator<Item = usize>, edges: Edges) -> Vec<bool> {
        self.reach(starts, edges, |node| (&node.children, &node.dependents))
    }

    /// One depth-first walk with a visited set: linear in the revisions it reaches.
    fn reach(
        &self,
        starts: impl IntoIterator<Item = usize>,
        edges: Edges,
        next: impl Fn(&Node) -> (&Vec<usize>, &Vec<usize>),
    ) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        count(seen.len());
        let mut stack: Vec<usize> = starts.into_iter().collect();
        while let Some(i) = stack.pop() {
            count(1);
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let (lineage, others) = next(&self.nodes[i]);
            stack.extend(lineage.iter().filter(|&&j| !seen[j]));
            if edges == Edges::All {
                stack.extend(others.iter().filter(|&&j| !seen[j]));
            }
        }
        seen
    }
}

/// The labels of `set` and of `more` (both sorted), sorted; `set` itself when `more` adds
/// nothing, so that a line of revisions shares one list.
fn union(set: &Arc<[usize]>, more: &[usize]) -> Arc<[usize]> {
    count(set.len() + more.len());
    if more.iter().all(|l| set.binary_search(l).is_ok()) {
        return set.clone();
    }
    let mut merged: Vec<usize> = set.iter().chain(more).copied().collect();
    merged.sort_unstable();
    merged.dedup();
    merged.into()
}

/// Adds `n` to the work the tests count (see [`work`]); nothing outside tests.
#[inline]
fn count(n: usize) {
    #[cfg(test)]
    work::add(n);
    #[cfg(not(test))]
    let _ = n;
}

/// The graph's work on this thread (revisions visited, positions scanned, lists merged),
/// counted in tests only, so that a test can hold a command's graph work to the size of the
/// history (twice the revisions, about twice the work) without timing anything.
#[cfg(test)]
pub(crate) mod work {
    use std::cell::Cell;

    thread_local! {
        static DONE: Cell<u64> = const { Cell::new(0) };
    }

    pub(super) fn add(n: usize) {
        DONE.with(|done| done.set(done.get() + n as u64));
    }

    /// The work `run` does on this thread.
    pub(crate) fn of<T>(run: impl FnOnce() -> T) -> (T, u64) {
        let before = DONE.with(Cell::get);
        let value = run();
        (value, DONE.with(Cell::get) - before)
    }
}

/// Orders revisions parents (and dependencies) first; among revisions ready at once, the
/// one created first, then the smaller id.
fn topological_order(
    revisions: &[Revision],
    parents: &[Vec<usize>],
    deps: &[Vec<usize>],
) -> Result<Vec<usize>, ScriptError> {
    let n = revisions.len();
    let mut by_age: Vec<usize> = (0..n).collect();
    by_age.sort_by(|&a, &b| {
        let key = |i: usize| (revisions[i].created.as_deref().unwrap_or(""), &revisions[i].id);
        key(a).cmp(&key(b))
    });
    let mut rank = vec![0; n];
    for (r, &i) in by_age.iter().enumerate() {
        rank[i] = r;
    }
    let mut preds: Vec<Vec<usize>> = Vec::with_capacity(n);
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        let mut own = parents[i].clone();
        own.extend(deps[i].iter().filter(|d| !parents[i].contains(d)));
        for &p in &own {
            succs[p].push(i);
        }
        preds.push(own);
    }
    let mut waiting: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> =
        (0..n).filter(|&i| waiting[i] == 0).map(|i| Reverse((rank[i], i))).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse((_, i))) = ready.pop() {
        order.push(i);
        for &s in &succs[i] {
            waiting[s] -= 1;
            if waiting[s] == 0 {
                ready.push(Reverse((rank[s], s)));
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every revision left waits on another one left, so following those edges from any of
    // them must come back round.
    let start = by_age.iter().copied().find(|&i| waiting[i] > 0).expect("some revision is left");
    let mut seen_at = vec![usize::MAX; n];
    let mut path = Vec::new();
    let mut at = start;
    while seen_at[at] == usize::MAX {
        seen_at[at] = path.len();
        path.push(at);
        at = preds[at].iter().copied().find(|&p| waiting[p] > 0).expect("a waiting revision has a waiting parent");
    }
    let mut cycle: Vec<RevisionId> = path[seen_at[at]..].iter().map(|&i| revisions[i].id.clone()).collect();
    let smallest = cycle.iter().enumerate().min_by_key(|(_, id)| *id).map_or(0, |(i, _)| i);
    cycle.rotate_left(smallest);
    Err(ScriptError::Cycle { revisions: cycle })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Builds a graph from `"a1; b2<a1 @label ~dep; m3<a1,b2"`: id, parents after `<`,
    /// branch labels after `@`, dependencies after `~`.
    fn graph(spec: &str) -> RevisionGraph {
        try_graph(spec).expect("a valid graph")
    }

    fn try_graph(spec: &str) -> Result<RevisionGraph, ScriptError> {
        let list =
            |text: &str| -> Vec<RevisionId> { text.split(',').map(|id| RevisionId::parse(id).unwrap()).collect() };
        let revisions = spec
            .split(';')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let mut tokens = entry.split_whitespace();
                let head = tokens.next().unwrap();
                let (id, parents) = match head.split_once('<') {
                    Some((id, parents)) => (id, list(parents)),
                    None => (head, Vec::new()),
                };
                let mut revision = Revision {
                    id: RevisionId::parse(id).unwrap(),
                    down_revisions: parents,
                    message: format!("message {id}"),
                    created: None,
                    branch_labels: Vec::new(),
                    depends_on: Vec::new(),
                    transactional: true,
                    upgrade: Vec::new(),
                    downgrade: Vec::new(),
                    downgrade_written: false,
                    fixtures: Default::default(),
                    allow: Default::default(),
                    limits: Default::default(),
                    path: PathBuf::from(format!("versions/{id}_x.toml")),
                };
                for token in tokens {
                    if let Some(label) = token.strip_prefix('@') {
                        revision.branch_labels.push(label.to_owned());
                    } else if let Some(deps) = token.strip_prefix('~') {
                        revision.depends_on = list(deps);
                    }
                }
                revision
            })
            .collect();
        RevisionGraph::from_revisions(revisions)
    }

    fn ids(text: &str) -> Vec<RevisionId> {
        text.split_whitespace().map(|id| RevisionId::parse(id).unwrap()).collect()
    }

    fn text(ids: impl IntoIterator<Item = impl AsRef<str>>) -> String {
        ids.into_iter().map(|id| id.as_ref().to_owned()).collect::<Vec<_>>().join(" ")
    }

    /// The error's variant name, from its `Debug` form.
    fn kind(err: &ScriptError) -> String {
        format!("{err:?}").split([' ', '{', '(']).next().unwrap_or_default().to_owned()
    }

    fn outcome<T>(result: Result<T, ScriptError>, show: impl Fn(T) -> String) -> String {
        match result {
            Ok(value) => show(value),
            Err(err) => format!("!{}", kind(&err)),
        }
    }

    fn plan_text(plan: Plan) -> String {
        text(plan.steps.iter().map(|s| s.revision.as_str()))
    }

    const LINEAR: &str = "a1; b2<a1; c3<b2; d4<c3";
    const BRANCHES: &str = "r0; r1<r0; a1<r1 @alpha; a2<a1; b1<r1 @beta; b2<b1";
    const MERGED: &str = "r0; r1<r0; a1<r1 @alpha; a2<a1; b1<r1 @beta; b2<b1; m1<a2,b2; t1<m1";
    const DEPENDS: &str = "x1; x2<x1; y1 ~x2; y2<y1";
    /// A branch spliced off a trunk revision, and a label in the middle of a line.
    const SPLICED: &str = "b1; b2<b1; c1<b1 @side; c2<c1; x1; x2<x1 @mid; x3<x2";

    /// `cases`: (current, target, expected steps or `!Variant`).
    fn check(spec: &str, direction: Direction, cases: &[(&str, &str, &str)]) {
        let graph = graph(spec);
        for &(current, target, expected) in cases {
            let current = ids(current);
            let plan = match direction {
                Direction::Up => graph.plan_upgrade(&current, target),
                Direction::Down => graph.plan_downgrade(&current, target),
            };
            assert_eq!(outcome(plan, plan_text), expected, "{direction:?} {current:?} -> {target:?} in {spec}");
        }
    }

    #[test]
    fn is_at_heads_compares_the_rows_with_the_heads_as_sets() {
        let empty = graph("");
        assert!(empty.is_at_heads(&[] as &[&str]));
        assert!(!empty.is_at_heads(&["a"]));
        let branched = graph("a; b<a; c<a");
        for (rows, at) in [
            (&["b", "c"][..], true),
            (&["c", "b"], true),
            (&["b"], false),
            (&["a"], false),
            (&["b", "c", "a"], false),
            (&[], false),
        ] {
            assert_eq!(branched.is_at_heads(rows), at, "{rows:?}");
        }
    }

    #[test]
    fn upgrade_targets() {
        check(
            LINEAR,
            Direction::Up,
            &[
                ("", "head", "a1 b2 c3 d4"),
                ("b2", "head", "c3 d4"),
                ("d4", "head", ""),
                ("", "heads", "a1 b2 c3 d4"),
                ("", "+2", "a1 b2"),
                ("b2", "+1", "c3"),
                ("b2", "+2", "c3 d4"),
                ("b2", "+3", "!RelativeOutOfRange"),
                ("", "b", "a1 b2"),
                ("", "c3", "a1 b2 c3"),
                ("", "b2+1", "a1 b2 c3"),
                ("", "head-2", "a1 b2"),
                ("c3", "a1", ""),
                ("", "-1", "!InvalidTarget"),
                ("", "base", "!InvalidTarget"),
                ("", "+0", "!InvalidTarget"),
                ("", "zz", "!UnknownRevision"),
                ("", "d4+1", "!RelativeOutOfRange"),
                ("zz", "head", "!UnknownCurrent"),
            ],
        );
        check(
            BRANCHES,
            Direction::Up,
            &[
                ("", "head", "!MultipleHeads"),
                ("", "heads", "r0 r1 a1 a2 b1 b2"),
                ("", "alpha@head", "r0 r1 a1 a2"),
                ("a2", "beta@head", "b1 b2"),
                ("r1", "alpha", "a1"),
                ("a2", "beta@+1", "b1"),
                ("a2", "beta@+2", "b1 b2"),
                ("a1 b1", "alpha@+1", "a2"),
                ("a1 b1", "+1", "!AmbiguousCurrent"),
                ("r1", "+1", "!AmbiguousStep"),
                ("", "+3", "!AmbiguousStep"),
                ("", "r0+2", "!AmbiguousStep"),
                ("", "a", "!AmbiguousPrefix"),
                ("", "gamma@head", "!UnknownLabel"),
                ("", "gamma@+1", "!UnknownLabel"),
                ("", "alpha@a2", "r0 r1 a1 a2"),
            ],
        );
        check(
            MERGED,
            Direction::Up,
            &[
                ("", "head", "r0 r1 a1 a2 b1 b2 m1 t1"),
                ("a2", "m1", "b1 b2 m1"),
                ("a2 b2", "+1", "!AmbiguousCurrent"),
                ("a2", "alpha@+1", "b1 b2 m1"),
                ("", "alpha@head", "r0 r1 a1 a2 b1 b2 m1 t1"),
            ],
        );
        // A branch counts along its whole line from base, as in Alembic; a revision id
        // names the branch it is on.
        check(
            SPLICED,
            Direction::Up,
            &[
                ("", "side@+1", "b1"),
                ("", "side@+2", "b1 c1"),
                ("", "side@+3", "b1 c1 c2"),
                ("b1", "side@+1", "c1"),
                ("b2", "side@+1", "c1"),
                ("", "mid@+1", "x1"),
                ("", "mid@+2", "x1 x2"),
                ("", "c1@head", "b1 c1 c2"),
                ("b1", "c1@+1", "c1"),
                ("", "b1@head", "!MultipleHeads"),
                ("", "c@head", "!AmbiguousPrefix"),
            ],
        );
        check(DEPENDS, Direction::Up, &[("", "y2", "x1 x2 y1 y2"), ("x2", "y1", "y1"), ("", "+1", "!AmbiguousStep")]);
        check("", Direction::Up, &[("", "head", ""), ("", "heads", ""), ("", "+1", "!RelativeOutOfRange")]);
    }

    #[test]
    fn downgrade_targets() {
        check(
            LINEAR,
            Direction::Down,
            &[
                ("d4", "base", "d4 c3 b2 a1"),
                ("d4", "b2", "d4 c3"),
                ("d4", "b", "d4 c3"),
                ("d4", "-1", "d4"),
                ("d4", "-2", "d4 c3"),
                ("d4", "-4", "d4 c3 b2 a1"),
                ("d4", "-5", "!RelativeOutOfRange"),
                ("d4", "d4-2", "d4 c3"),
                ("c3", "d4-2", "c3"),
                ("b2", "d4-1", "!NotApplied"),
                ("b2", "d4", "!NotApplied"),
                ("d4", "head", ""),
                ("", "base", ""),
                ("", "-1", "!RelativeOutOfRange"),
                ("d4", "+1", "!InvalidTarget"),
                ("d4", "-0", "!InvalidTarget"),
                ("d4", "heads", "!InvalidTarget"),
                ("zz", "base", "!UnknownCurrent"),
            ],
        );
        check(
            BRANCHES,
            Direction::Down,
            &[
                ("a2 b2", "r1", "b2 b1 a2 a1"),
                ("a2 b2", "a1", "a2"),
                ("a2 b2", "alpha@-1", "a2"),
                ("a2 b2", "beta@-2", "b2 b1"),
                ("a2 b2", "beta@-3", "b2 b1 a2 a1 r1"),
                ("a2 b2", "beta@-5", "!RelativeOutOfRange"),
                ("a2 b2", "beta@base", "b2 b1"),
                ("a2 b2", "-1", "!AmbiguousCurrent"),
                ("a2", "beta@-1", "!RelativeOutOfRange"),
                ("a2 b2", "base", "b2 b1 a2 a1 r1 r0"),
            ],
        );
        check(
            MERGED,
            Direction::Down,
            &[
                ("t1", "-2", "t1 m1"),
                ("t1", "-3", "!AmbiguousStep"),
                ("t1", "a2", "t1 m1"),
                ("t1", "r1", "t1 m1 b2 b1 a2 a1"),
            ],
        );
        check(
            SPLICED,
            Direction::Down,
            &[
                ("b1", "side@-1", "b1"),
                ("b2 c1", "side@-1", "c1"),
                ("b2 c1", "side@-2", "c1 b2 b1"),
                ("b2", "side@-1", "!RelativeOutOfRange"),
                ("c2 x3", "c1@base", "c2 c1"),
                ("x2", "mid@-1", "x2"),
            ],
        );
        check(
            DEPENDS,
            Direction::Down,
            &[("x2 y2", "x1", "y2 y1 x2"), ("x2 y2", "y1", "y2"), ("x2 y2", "-1", "!AmbiguousCurrent")],
        );
    }

    /// Runs the plan one step at a time, as the runner does, and shows the heads after each.
    fn check_heads(spec: &str, cases: &[(&str, Direction, &str, &[&str])]) {
        let graph = graph(spec);
        for &(current, direction, target, expected) in cases {
            let mut heads = ids(current);
            let plan = match direction {
                Direction::Up => graph.plan_upgrade(&heads, target),
                Direction::Down => graph.plan_downgrade(&heads, target),
            }
            .unwrap();
            let mut seen = Vec::new();
            for step in &plan.steps {
                heads = graph.heads_after(&heads, step);
                // The rows always describe exactly what has been applied so far.
                seen.push(text(&heads));
            }
            assert_eq!(seen, expected, "{direction:?} {current:?} -> {target} in {spec}");
        }
    }

    #[test]
    fn heads_after_each_step() {
        check_heads(
            MERGED,
            &[
                ("", Direction::Up, "head", &["r0", "r1", "a1", "a2", "a2 b1", "a2 b2", "m1", "t1"]),
                ("t1", Direction::Down, "-2", &["m1", "a2 b2"]),
                ("t1", Direction::Down, "a2", &["m1", "a2 b2"]),
                ("a2 b2", Direction::Down, "r1", &["a2 b1", "a2", "a1", "r1"]),
                ("t1", Direction::Down, "base", &["m1", "a2 b2", "a2 b1", "a2", "a1", "r1", "r0", ""]),
            ],
        );
        check_heads(
            DEPENDS,
            &[
                ("", Direction::Up, "heads", &["x1", "x2", "x2 y1", "x2 y2"]),
                ("x2 y2", Direction::Down, "x1", &["x2 y1", "x2", "x1"]),
                // A row of y2 alone (a stamp) implies x1 and x2: reverting y2 keeps them
                // applied, with a row of their own, rather than forgetting them.
                ("y2", Direction::Down, "-1", &["x2 y1"]),
                ("y2", Direction::Down, "x2", &["x2 y1", "x2"]),
            ],
        );
        // A merge of a revision and its own ancestor: reverting it leaves one row, the tip.
        check_heads(
            "a1; b1<a1; c1<b1; m1<a1,c1",
            &[("m1", Direction::Down, "-1", &["c1"]), ("m1", Direction::Down, "b1", &["c1", "b1"])],
        );
    }

    #[test]
    fn heads_after_keeps_unrelated_and_unknown_heads() {
        let graph = graph(BRANCHES);
        let step = |id: &str, direction| Step { revision: RevisionId::parse(id).unwrap(), direction };
        assert_eq!(text(graph.heads_after(&ids("b2 zz"), &step("a1", Direction::Up))), "a1 b2 zz");
        assert_eq!(text(graph.heads_after(&ids("a1"), &step("a1", Direction::Up))), "a1");
        assert_eq!(text(graph.heads_after(&ids("a1"), &step("zz", Direction::Up))), "a1 zz");
        assert_eq!(text(graph.heads_after(&ids("a1 zz"), &step("zz", Direction::Down))), "a1");
    }

    #[test]
    fn stamp_targets() {
        let graph = graph(BRANCHES);
        let cases: &[(&str, &str, bool, &str)] = &[
            ("a2 b2", "a1", false, "a1 b2"),
            ("a2 b2", "a1", true, "a1"),
            ("a2 b2", "base", false, ""),
            ("", "heads", false, "a2 b2"),
            ("a2", "beta@head", false, "a2 b2"),
            ("a2", "b1", false, "a2 b1"),
            ("r1", "b1", false, "b1"),
            ("zz", "a1", false, "!UnknownCurrent"),
            ("zz", "a1", true, "a1"),
            ("a2 b2", "alpha@-1", false, "a1 b2"),
            ("a2 b2", "beta@base", false, "a2"),
            ("a2", "+1", false, "!RelativeOutOfRange"),
            ("a1", "+1", false, "a2"),
            ("a2 b2", "head", false, "!MultipleHeads"),
        ];
        for &(current, target, purge, expected) in cases {
            let result = graph.stamp_heads(&ids(current), target, purge);
            assert_eq!(outcome(result, text), expected, "stamp {current:?} -> {target} purge={purge}");
        }
    }

    #[test]
    fn a_stamp_target_below_another_of_the_same_command_is_implied() {
        let linear = graph(LINEAR);
        for targets in [&["c3", "a1"][..], &["a1", "c3"], &["b2", "c3", "a1"]] {
            for purge in [false, true] {
                let result = linear.stamp_heads_all(&ids("d4"), targets, purge);
                assert_eq!(outcome(result, text), "c3", "stamp {targets:?} purge={purge}");
            }
        }
        let branches = graph(BRANCHES);
        let cases: &[(&str, &[&str], &str)] = &[
            ("", &["a2", "b1"], "a2 b1"),
            ("a2 b2", &["base"], ""),
            ("a2 b2", &["base", "a1"], "a1"),
            ("a2 b2", &["a1", "base"], "!InvalidTarget"),
            ("", &["a2", "r1", "b1"], "a2 b1"),
            ("", &["beta@head", "b1", "a1"], "a1 b2"),
            // Counting down still counts from what the earlier targets left.
            ("", &["a2", "b2", "alpha@-1"], "a1 b2"),
        ];
        for &(current, targets, expected) in cases {
            let result = branches.stamp_heads_all(&ids(current), targets, false);
            assert_eq!(outcome(result, text), expected, "stamp {targets:?} from {current:?}");
        }
    }

    #[test]
    fn resolve_targets() {
        let graph = graph(MERGED);
        let cases: &[(&str, &str)] = &[
            ("t1", "t1"),
            ("m", "m1"),
            ("head", "t1"),
            ("alpha", "a1"),
            ("beta@head", "t1"),
            ("beta@b", "!AmbiguousPrefix"),
            ("beta@b2", "b2"),
            ("beta@a1", "!InvalidTarget"),
            ("beta@zz", "!UnknownRevision"),
            ("beta@", "!InvalidTarget"),
            ("@head", "!InvalidTarget"),
            ("zz@head", "!UnknownLabel"),
            ("b1@head", "t1"),
            ("b1@b2", "b2"),
            ("a2-1", "a1"),
            ("a1+1", "a2"),
            ("alpha+1", "a2"),
            ("head-1", "m1"),
            ("head-2", "!AmbiguousStep"),
            ("r0-1", "!RelativeOutOfRange"),
            ("r0+2", "!AmbiguousStep"),
            ("a", "!AmbiguousPrefix"),
            ("q", "!UnknownRevision"),
            ("heads", "!InvalidTarget"),
            ("base", "!InvalidTarget"),
            ("+1", "!InvalidTarget"),
            ("alpha@-1", "!InvalidTarget"),
            ("", "!InvalidTarget"),
            ("nope@head", "!UnknownLabel"),
        ];
        for &(target, expected) in cases {
            assert_eq!(outcome(graph.resolve(target), |id| id.to_string()), expected, "{target:?}");
        }
        assert_eq!(outcome(RevisionGraph::default().resolve("head"), |id| id.to_string()), "!NoRevisions");
    }

    /// A downgrade plan that passes revisions with upgrade ops and no downgrade written is
    /// refused, naming each with its file in the order the downgrade meets them; empty
    /// revisions, merges and `downgrade = []` pass.
    #[test]
    fn a_downgrade_past_revisions_without_one_is_refused() {
        let revision = |name: &str, text: &str| Revision::parse(text, std::path::Path::new(name)).expect("valid");
        let up = "\n[[upgrade]]\nop = \"drop_table\"\ntable = \"t\"\n";
        let graph = RevisionGraph::from_revisions(vec![
            revision("a1_x.toml", &format!("revision = \"a1\"\n{up}")),
            revision("b2_x.toml", "revision = \"b2\"\ndown_revision = \"a1\"\n"),
            revision("c3_x.toml", &format!("revision = \"c3\"\ndown_revision = \"b2\"\n{up}")),
            revision("d4_x.toml", &format!("revision = \"d4\"\ndown_revision = \"c3\"\ndowngrade = []\n{up}")),
            revision(
                "e5_x.toml",
                &format!(
                    "revision = \"e5\"\ndown_revision = \"c3\"\n{up}\n[[downgrade]]\nop = \"sql\"\nsql = \"SELECT 1\"\n"
                ),
            ),
            revision("m6_x.toml", "revision = \"m6\"\ndown_revision = [\"d4\", \"e5\"]\n"),
        ])
        .expect("a valid graph");
        let head = ids("m6");
        assert_eq!(plan_text(graph.plan_downgrade(&head, "c3").unwrap()), "m6 e5 d4");
        assert!(matches!(graph.plan_downgrade(&ids("c3"), "b2"), Err(ScriptError::DowngradeNotWritten { .. })));
        let err = graph.plan_downgrade(&head, "base").unwrap_err();
        let ScriptError::DowngradeNotWritten { revisions } = &err else { panic!("{err:?}") };
        let named: Vec<&str> = revisions.iter().map(|r| r.revision.as_str()).collect();
        assert_eq!(named, ["c3", "a1"]);
        assert_eq!(revisions[0].path, std::path::Path::new("c3_x.toml"));
        assert!(
            err.to_string().starts_with(
                "cannot downgrade past revision(s) without a downgrade: `c3` (c3_x.toml), `a1` (a1_x.toml); each has \
                 upgrade ops but neither `[[downgrade]]` ops nor `downgrade = []`"
            ),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with("or add `downgrade = []` above its first `[[upgrade]]` when there is nothing to undo"),
            "{err}"
        );
        // Stamping moves no schema: it does not ask for a downgrade.
        assert_eq!(graph.stamp_heads(&head, "a1", false).unwrap(), ids("a1"));

        // A long list names the first ten and counts the others.
        let chain = (0..12).map(|i| {
            let parent = if i > 0 { format!("down_revision = \"r{}\"\n", i - 1) } else { String::new() };
            revision(&format!("r{i}_x.toml"), &format!("revision = \"r{i}\"\n{parent}{up}"))
        });
        let long = RevisionGraph::from_revisions(chain.collect()).expect("a valid graph");
        let err = long.plan_downgrade(&ids("r11"), "base").unwrap_err().to_string();
        assert!(
            err.contains(": `r11` (r11_x.toml), `r10` (r10_x.toml), ")
                && err.contains(", `r2` (r2_x.toml) and 2 more; "),
            "{err}"
        );
    }

    #[test]
    fn labels_may_look_like_relative_targets() {
        let graph = graph("a1; b2<a1 @fix-1; c3<b2");
        assert_eq!(graph.resolve("fix-1").unwrap().as_str(), "b2");
        assert_eq!(graph.resolve("fix-1@head").unwrap().as_str(), "c3");
        assert_eq!(graph.resolve("fix-1+1").unwrap().as_str(), "c3");
        assert_eq!(plan_text(graph.plan_downgrade(&ids("c3"), "fix-1").unwrap()), "c3");
    }

    #[test]
    fn history_ranges() {
        let graph = graph(MERGED);
        let cases: &[(Option<&str>, &str)] = &[
            (None, "t1 m1 b2 b1 a2 a1 r1 r0"),
            (Some("base:heads"), "t1 m1 b2 b1 a2 a1 r1 r0"),
            (Some(":"), "t1 m1 b2 b1 a2 a1 r1 r0"),
            (Some("a1:m1"), "m1 a2 a1"),
            (Some(":r1"), "r1 r0"),
            (Some("base:r1"), "r1 r0"),
            (Some("b1:"), "t1 m1 b2 b1"),
            (Some("b1:head"), "t1 m1 b2 b1"),
            (Some("heads:"), "t1"),
            (Some("m1:m1"), "m1"),
            (Some("head-1:"), "t1 m1"),
            (Some("a1:b2"), "!InvalidTarget"),
            (Some("a1"), "!InvalidTarget"),
            (Some("a1:base"), "!InvalidTarget"),
            (Some("zz:"), "!UnknownRevision"),
            (Some("beta@base:beta@head"), "t1 m1 b2 b1"),
            (Some("beta@base:"), "t1 m1 b2 b1"),
            (Some("beta@base:b2"), "b2 b1"),
            (Some("gamma@base:"), "!UnknownLabel"),
        ];
        for &(range, expected) in cases {
            let result = graph.history(range);
            assert_eq!(outcome(result, |revs| text(revs.iter().map(|r| r.id.as_str()))), expected, "{range:?}");
        }
    }

    #[test]
    fn graph_shape() {
        let graph = graph(MERGED);
        assert_eq!(text(graph.heads()), "t1");
        assert_eq!(text(graph.bases()), "r0");
        assert_eq!(text(graph.branch_points()), "r1");
        assert_eq!(text(graph.children(&RevisionId::parse("r1").unwrap())), "a1 b1");
        assert_eq!(text(graph.revisions().iter().map(|r| r.id.as_str())), "r0 r1 a1 a2 b1 b2 m1 t1");
        assert_eq!(graph.label("beta").map(RevisionId::as_str), Some("b1"));
        let branches = |id: &str| graph.branches_of(&RevisionId::parse(id).unwrap()).join(" ");
        assert_eq!(
            ["r1", "a1", "a2", "b2", "m1", "t1"].map(branches),
            ["", "alpha", "alpha", "beta", "alpha beta", "alpha beta"]
        );
        assert_eq!(graph.len(), 8);
        assert!(RevisionGraph::default().is_empty());
        let graph = self::graph(DEPENDS);
        assert_eq!(text(graph.heads()), "x2 y2");
        assert_eq!(text(graph.bases()), "x1 y1");
        assert_eq!(text(graph.dependents(&RevisionId::parse("x2").unwrap())), "y1");
        assert_eq!(text(graph.applied(&ids("y2")).unwrap()), "x1 x2 y1 y2");
        assert!(matches!(graph.applied(&ids("zz")), Err(ScriptError::UnknownCurrent { .. })));
    }

    #[test]
    fn topological_order_prefers_older_revisions() {
        let mut revisions: Vec<Revision> =
            ["a1", "b1", "c1"].iter().map(|id| try_graph(id).unwrap().nodes.remove(0).revision).collect();
        revisions[0].created = Some("2026-03-01T00:00:00Z".into());
        revisions[1].created = Some("2026-01-01T00:00:00Z".into());
        revisions[2].created = Some("2026-02-01T00:00:00Z".into());
        let graph = RevisionGraph::from_revisions(revisions.clone()).unwrap();
        assert_eq!(text(graph.revisions().iter().map(|r| r.id.as_str())), "b1 c1 a1");
        revisions.reverse();
        let again = RevisionGraph::from_revisions(revisions).unwrap();
        assert_eq!(text(again.revisions().iter().map(|r| r.id.as_str())), "b1 c1 a1");
    }

    #[test]
    fn invalid_graphs() {
        let cases: &[(&str, &str)] = &[
            ("a1; a1", "DuplicateRevision"),
            ("a1; b2<zz", "MissingParent"),
            ("a1; b2<a1 ~zz", "MissingDependency"),
            ("a1 @x; b2<a1 @x", "DuplicateLabel"),
            ("a1; b2<a1 @a1", "LabelIsAnId"),
            ("a1 @heads", "InvalidLabel"),
            ("a1<c3; b2<a1; c3<b2", "Cycle"),
            ("a1<a1", "Cycle"),
            ("r0; a1<r0 ~b2; b2<a1", "Cycle"),
        ];
        for &(spec, expected) in cases {
            assert_eq!(outcome(try_graph(spec), |_| "ok".to_owned()), format!("!{expected}"), "{spec}");
        }
        let err = try_graph("z9; a1<c3,z9; b2<a1; c3<b2").unwrap_err();
        assert_eq!(
            err.to_string(),
            "revisions form a cycle: a1 -> c3 -> b2 -> a1; correct their `down_revision` or `depends_on`"
        );
        let err = try_graph("a1; b2<zz").unwrap_err();
        assert_eq!(
            err.to_string(),
            "revision `b2` (versions/b2_x.toml) has down_revision `zz`, which no revision file defines; \
             restore that file or correct `down_revision`"
        );
    }

    #[test]
    fn a_dependency_may_name_a_branch_label() {
        let graph = graph("a1 @lib; a2<a1; b1 ~lib");
        let plan = graph.plan_upgrade(&[], "b1").unwrap();
        assert_eq!(plan_text(plan), "a1 b1");
    }

    #[test]
    fn a_long_chain_plans_every_step() {
        let spec: String = (0..2000)
            .map(|i| if i == 0 { "r0".to_owned() } else { format!("r{i}<r{}", i - 1) })
            .collect::<Vec<_>>()
            .join(";");
        let graph = graph(&spec);
        let head = ids("r1999");
        assert_eq!(graph.applied(&head).unwrap().len(), 2000);
        assert_eq!(graph.plan_upgrade(&[], "head").unwrap().steps.len(), 2000);
        assert_eq!(graph.plan_downgrade(&head, "base").unwrap().steps.len(), 2000);
        assert_eq!(graph.resolve("r1999-1000").unwrap().as_str(), "r999");
        assert_eq!(graph.history(Some("r5:")).unwrap().len(), 1995);
    }

    /// Plans `target` from `current` and moves the rows through the plan one step at a time,
    /// as a run does; the rows at the end.
    fn run_plan(graph: &RevisionGraph, current: &[RevisionId], direction: Direction, target: &str) -> Vec<RevisionId> {
        let plan = match direction {
            Direction::Up => graph.plan_upgrade(current, target),
            Direction::Down => graph.plan_downgrade(current, target),
        };
        let mut heads = current.to_vec();
        for step in &plan.expect("a valid target").steps {
            heads = graph.heads_after(&heads, step);
        }
        heads
    }

    /// Numbers in `0..bound`, the same on every run.
    struct Dice(u64);

    impl Dice {
        fn roll(&mut self, bound: usize) -> usize {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 33) % bound as u64) as usize
        }
    }

    #[test]
    fn heads_after_step_by_step_answers_as_from_scratch() {
        let shapes =
            [LINEAR, BRANCHES, MERGED, DEPENDS, SPLICED, "a1; b1<a1; c1<b1; m1<a1,c1", "x1; y1 ~x1; z1<y1 ~x1"];
        let mut dice = Dice(7);
        for spec in shapes {
            let graph = graph(spec);
            let all: Vec<RevisionId> = graph.revisions().iter().map(|r| r.id.clone()).collect();
            let pick = |dice: &mut Dice| {
                let mut rows: Vec<RevisionId> = all.iter().filter(|_| dice.roll(3) == 0).cloned().collect();
                if dice.roll(4) == 0 {
                    rows.push(ids("zz")[0].clone());
                }
                rows.sort();
                rows
            };
            // Every plan from every start, as runs take them.
            for _ in 0..40 {
                let current = pick(&mut dice);
                let targets =
                    ["heads", "base"].into_iter().map(str::to_owned).chain(all.iter().map(ToString::to_string));
                for target in targets {
                    for direction in [Direction::Up, Direction::Down] {
                        let plan = match direction {
                            Direction::Up => graph.plan_upgrade(&current, &target),
                            Direction::Down => graph.plan_downgrade(&current, &target),
                        };
                        let Ok(plan) = plan else { continue };
                        let mut heads = current.clone();
                        for step in &plan.steps {
                            let expected = graph.heads_after_anew(&heads, step);
                            heads = graph.heads_after(&heads, step);
                            assert_eq!(heads, expected, "{spec}: {direction:?} {current:?} -> {target}, at {step:?}");
                        }
                    }
                }
            }
            // Steps in any order and direction, unknown revisions, rows that are not the last
            // answer: the walk must notice and start again.
            for _ in 0..200 {
                let mut heads = pick(&mut dice);
                for _ in 0..12 {
                    if dice.roll(6) == 0 {
                        heads = pick(&mut dice);
                    }
                    let revision = match dice.roll(all.len() + 1) {
                        k if k == all.len() => ids("zz")[0].clone(),
                        k => all[k].clone(),
                    };
                    let direction = if dice.roll(2) == 0 { Direction::Up } else { Direction::Down };
                    let step = Step { revision, direction };
                    let expected = graph.heads_after_anew(&heads, &step);
                    heads = graph.heads_after(&heads, &step);
                    assert_eq!(heads, expected, "{spec}: {step:?}");
                }
            }
        }
    }

    /// A chain of `n` revisions, the first labelled `trunk`.
    fn chain(n: usize) -> String {
        (0..n)
            .map(|i| if i == 0 { "r0 @trunk".to_owned() } else { format!("r{i}<r{}", i - 1) })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// A trunk of `n / 10` revisions, then 50 labelled lines sharing the rest, joined by one
    /// merge when `merged`.
    fn branched(n: usize, merged: bool) -> String {
        let trunk = n / 10;
        let per = (n - trunk) / 50;
        let mut spec: Vec<String> =
            (0..trunk).map(|i| if i == 0 { "t0".to_owned() } else { format!("t{i}<t{}", i - 1) }).collect();
        for b in 0..50 {
            for i in 0..per {
                let parent = if i == 0 { format!("t{}", trunk - 1) } else { format!("b{b}x{}", i - 1) };
                let label = if i == 0 { format!(" @line{b}") } else { String::new() };
                spec.push(format!("b{b}x{i}<{parent}{label}"));
            }
        }
        if merged {
            spec.push(format!("m0<{}", (0..50).map(|b| format!("b{b}x{}", per - 1)).collect::<Vec<_>>().join(",")));
        }
        spec.join(";")
    }

    /// The graph work of `command` on a history of `n` revisions (the graph built apart).
    fn work_of(command: &str, n: usize) -> u64 {
        let linear = graph(&chain(n));
        let head = ids(&format!("r{}", n - 1));
        let merged = graph(&branched(n, true));
        let open = graph(&branched(n, false));
        let open_heads: Vec<RevisionId> = open.heads().into_iter().cloned().collect();
        let fan = graph(&(1..n).fold("r0".to_owned(), |spec, i| format!("{spec}; a{i}<r0")));
        let fan_heads: Vec<RevisionId> = fan.heads().into_iter().cloned().collect();
        let lines = (1..n).map(|i| format!("y{i}<y{}", i - 1)).collect::<Vec<_>>().join(";");
        let depends = graph(&format!("x0; x1<x0; y0 ~x1; {lines}"));
        let ((), done) = work::of(|| match command {
            "upgrade head" => assert_eq!(run_plan(&linear, &[], Direction::Up, "head"), head),
            "downgrade base" => assert!(run_plan(&linear, &head, Direction::Down, "base").is_empty()),
            "downgrade -N" => assert_eq!(run_plan(&linear, &head, Direction::Down, &format!("-{}", n / 2)).len(), 1),
            "stamp -N" => assert_eq!(linear.stamp_heads(&head, &format!("-{}", n / 2), false).unwrap().len(), 1),
            "history" => {
                // Each revision with its markers, as `history` prints them.
                for revision in linear.history(None).unwrap() {
                    assert_eq!(linear.branches_of(&revision.id), ["trunk"]);
                    linear.is_head(&revision.id);
                    linear.is_branch_point(&revision.id);
                    linear.children(&revision.id);
                }
            }
            "upgrade heads, merged" => assert_eq!(run_plan(&merged, &[], Direction::Up, "heads").len(), 1),
            "downgrade base, merged" => {
                assert!(run_plan(&merged, &ids("m0"), Direction::Down, "base").is_empty());
            }
            "upgrade heads, open" => assert_eq!(run_plan(&open, &[], Direction::Up, "heads").len(), 50),
            "downgrade base, open" => assert!(run_plan(&open, &open_heads, Direction::Down, "base").is_empty()),
            "history, branches" => {
                for revision in merged.history(None).unwrap() {
                    merged.branches_of(&revision.id);
                    merged.is_head(&revision.id);
                    merged.is_branch_point(&revision.id);
                }
            }
            "merge heads" => assert_eq!(open.lineage_pair(&open_heads).unwrap(), None),
            // As many heads as revisions: a walk per head would be the square.
            "merge heads, a fan" => assert_eq!(fan.lineage_pair(&fan_heads).unwrap(), None),
            "test's stairway" => {
                // `aludel test`: each revision up, down and up again.
                let mut heads = Vec::new();
                for step in linear.plan_upgrade(&[], "head").unwrap().steps {
                    heads = linear.heads_after(&heads, &step);
                    let down = Step { direction: Direction::Down, ..step.clone() };
                    heads = linear.heads_after(&linear.heads_after(&heads, &down), &step);
                }
                assert_eq!(heads, head);
            }
            "upgrade after a stamp of a dependent" => {
                // `y0` alone implies `x0` and `x1` without a row for them: rows that are not
                // all tips, all the way up.
                let top = format!("y{}", n - 1);
                assert_eq!(run_plan(&depends, &ids("y0"), Direction::Up, &top), ids(&top));
            }
            other => panic!("no command {other}"),
        });
        done
    }

    #[test]
    fn graph_work_was_quadratic_in_the_history_length() {
        let commands = [
            "upgrade head",
            "downgrade base",
            "downgrade -N",
            "stamp -N",
            "history",
            "upgrade heads, merged",
            "downgrade base, merged",
            "upgrade heads, open",
            "downgrade base, open",
            "history, branches",
            "merge heads",
            "merge heads, a fan",
            "test's stairway",
            "upgrade after a stamp of a dependent",
        ];
        for command in commands {
            let (small, large) = (work_of(command, 2000), work_of(command, 4000));
            // Twice the revisions, about twice the work: a walk per step or per revision
            // would be four times.
            assert!(large * 2 < small * 5, "{command}: {small} steps for 2,000 revisions, {large} for 4,000");
            assert!(large < 40 * 4000, "{command}: {large} steps for 4,000 revisions");
        }
    }
}
