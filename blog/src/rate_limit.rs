//! Requests counted per key in a sliding window, in memory: [`RateLimiter`], behind the limits
//! of the routes that hash passwords (per client, per account) and of the routes that write
//! (per account).
//!
//! Memory is bounded whatever the traffic: keys are stored as 64-bit keyed hashes (a key of
//! any length costs eight bytes), each shard keeps at most its share of the capacity per
//! window, and old windows are dropped whole when time moves on, never scanned entry by entry.
//! When a shard is full, new keys in it share one overflow budget until the window turns: a
//! flood of fresh keys is limited together instead of growing the map. Each replica counts on
//! its own; a shared limit would need a shared store.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Keys kept per window by default, over all shards.
pub const DEFAULT_CAPACITY: usize = 65_536;

/// Shards, so that concurrent requests rarely wait for the same lock.
const SHARDS: usize = 16;

/// The key of the shared budget of a full shard's new keys (a real key hashing to it only
/// shares that budget).
const OVERFLOW: u64 = u64::MAX;

/// Counts requests per key; allows `limit` in any window of `window`.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    shard_capacity: usize,
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
}

/// The counts of one shard: this window's and the last one's.
#[derive(Debug)]
struct Shard {
    started: Instant,
    current: HashMap<u64, u32>,
    previous: HashMap<u64, u32>,
}

impl RateLimiter {
    /// Allows `limit` requests per `window` for each key, keeping at most `capacity` keys per
    /// window.
    pub fn new(limit: u32, window: Duration, capacity: usize, now: Instant) -> RateLimiter {
        let shards = (0..SHARDS)
            .map(|_| Mutex::new(Shard { started: now, current: HashMap::new(), previous: HashMap::new() }))
            .collect();
        RateLimiter {
            limit,
            window,
            shard_capacity: capacity.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
            shards,
        }
    }

    /// Records a request for `key`.
    ///
    /// # Errors
    ///
    /// The seconds to wait (at least 1) when the key has used its budget; the request is not
    /// counted then.
    pub fn check<K: Hash + ?Sized>(&self, key: &K, now: Instant) -> Result<(), u64> {
        let mut hash = self.hasher.hash_one(key);
        if hash == OVERFLOW {
            hash -= 1;
        }
        let shard = &self.shards[usize::try_from(hash % SHARDS as u64).unwrap_or(0)];
        // A poisoned lock only means a request panicked while counting; the counts are usable.
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let stale = shard.turn(now, self.window);
        let key = if shard.current.contains_key(&hash) || shard.current.len() < self.shard_capacity {
            hash
        } else {
            OVERFLOW
        };
        let elapsed = now.saturating_duration_since(shard.started);
        let current = shard.current.get(&key).copied().unwrap_or(0);
        let previous = shard.previous.get(&key).copied().unwrap_or(0);
        let result = match wait(self.limit, self.window, elapsed, previous, current) {
            None => {
                *shard.current.entry(key).or_insert(0) += 1;
                Ok(())
            }
            Some(wait) => Err(wait.as_secs_f64().ceil().max(1.0) as u64),
        };
        drop(shard);
        // Freed outside the lock.
        drop(stale);
        result
    }
}

impl Shard {
    /// Moves to the window `now` is in; returns the counts that fell out of use.
    fn turn(&mut self, now: Instant, window: Duration) -> Option<HashMap<u64, u32>> {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed < window {
            return None;
        }
        let windows = elapsed.as_nanos() / window.as_nanos().max(1);
        let step = window.saturating_mul(u32::try_from(windows).unwrap_or(u32::MAX));
        self.started = self.started.checked_add(step).unwrap_or(now);
        let current = std::mem::take(&mut self.current);
        if windows == 1 {
            Some(std::mem::replace(&mut self.previous, current))
        } else {
            self.previous.clear();
            Some(current)
        }
    }
}

/// How long until one more request fits, or `None` when it fits now. The sliding window is
/// estimated from two fixed ones: the last window's count weighs as much as it overlaps the
/// window ending now.
fn wait(limit: u32, window: Duration, elapsed: Duration, previous: u32, current: u32) -> Option<Duration> {
    let limit = f64::from(limit);
    let (previous, current) = (f64::from(previous), f64::from(current));
    let fraction = (elapsed.as_secs_f64() / window.as_secs_f64()).min(1.0);
    if previous * (1.0 - fraction) + current < limit {
        return None;
    }
    if current >= limit {
        // Not before this window ends; then this window's count decays in turn.
        let after_turn = 1.0 - limit / current;
        return Some(Duration::from_secs_f64(window.as_secs_f64() * (1.0 - fraction + after_turn)));
    }
    // The last window's share decays until the total drops under the limit.
    let needed = 1.0 - (limit - current) / previous;
    Some(Duration::from_secs_f64(window.as_secs_f64() * (needed - fraction).max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn requests_are_limited_per_key_and_window() {
        let start = Instant::now();
        let limiter = RateLimiter::new(2, secs(60), 100, start);
        assert_eq!(limiter.check("a", start), Ok(()));
        assert_eq!(limiter.check("a", start), Ok(()));
        assert_eq!(limiter.check("a", start + secs(15)), Err(45));
        assert_eq!(limiter.check("b", start), Ok(()));
        // The sliding window: at 90 s half of the first window still counts (1 of 2).
        assert_eq!(limiter.check("a", start + secs(90)), Ok(()));
        assert!(limiter.check("a", start + secs(90)).is_err());
        // Long after, nothing is left.
        assert_eq!(limiter.check("a", start + secs(600)), Ok(()));
    }

    #[test]
    fn the_map_stays_bounded_and_a_flood_of_keys_shares_one_budget() {
        let start = Instant::now();
        let limiter = RateLimiter::new(3, secs(60), 32, start);
        let allowed = (0..10_000).filter(|n| limiter.check(&format!("user{n}"), start).is_ok()).count();
        // At most 2 keys per shard each get their own budget; the rest share one per shard.
        assert!(allowed <= SHARDS * 2 * 3 + SHARDS * 3, "{allowed}");
        for shard in limiter.shards.iter() {
            let shard = shard.lock().expect("not poisoned");
            assert!(shard.current.len() <= 3, "{}", shard.current.len());
        }
        // A new window starts afresh.
        assert_eq!(limiter.check("someone", start + secs(125)), Ok(()));
    }
}
