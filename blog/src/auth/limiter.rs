//! Login rate limiting: a fixed window per client address and user name, in memory. Each
//! replica counts on its own, which bounds guessing per replica; a shared limit would need a
//! shared store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept before expired ones are swept, so memory stays bounded under a flood.
const SWEEP_AT: usize = 10_000;

/// Counts token requests per key in fixed windows.
#[derive(Debug)]
pub struct LoginLimiter {
    attempts: u32,
    window: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    /// Allows `attempts` per `window` for each key.
    pub fn new(attempts: u32, window: Duration) -> LoginLimiter {
        LoginLimiter { attempts, window, counts: Mutex::new(HashMap::new()) }
    }

    /// Records an attempt for `key`; `Err(seconds to wait)` when over the limit.
    ///
    /// # Errors
    ///
    /// The seconds until the window ends, when the key has used its attempts.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        // A poisoned lock only means another request panicked while counting; the counts are
        // still usable.
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.len() >= SWEEP_AT {
            let window = self.window;
            counts.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = counts.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.attempts {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_limited_per_key_and_window() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        let start = Instant::now();
        assert_eq!(limiter.check("a", start), Ok(()));
        assert_eq!(limiter.check("a", start), Ok(()));
        assert_eq!(limiter.check("a", start + Duration::from_secs(15)), Err(45));
        assert_eq!(limiter.check("b", start), Ok(()));
        assert_eq!(limiter.check("a", start + Duration::from_secs(60)), Ok(()));
    }
}
