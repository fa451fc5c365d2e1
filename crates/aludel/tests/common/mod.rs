//! Test support of aludel's own integration tests: [`TestDb`] (a uniquely named database per
//! test, from `aludel-test-support`), a session that counts its queries ([`counting`]) and
//! random schemas ([`random`]).

#![allow(dead_code, unreachable_pub, unused_imports)] // Each test binary uses a different part of this module.

pub mod counting;
pub mod random;

use aludel::dialect::Backend;
pub use aludel_test_support::TestDb;

/// Every backend the tests run on.
pub fn backends() -> Vec<Backend> {
    Backend::ALL.to_vec()
}
