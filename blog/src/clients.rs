//! How the service tells clients apart, for the limits that count per client (password
//! attempts, open connections): by address, as attackers get addresses.

use std::net::IpAddr;

/// A client, as the limits see it: an IPv4 address, an IPv6 /64 (what one subscriber gets),
/// or "unknown" when the connection's address is not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// An IPv4 address (IPv4-mapped IPv6 addresses included).
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6Prefix([u8; 8]),
    /// No address known (an in-process call).
    Unknown,
}

impl ClientKey {
    /// The key of a client address.
    pub fn of(address: Option<IpAddr>) -> ClientKey {
        match address.map(|a| a.to_canonical()) {
            Some(IpAddr::V4(v4)) => ClientKey::V4(v4.octets()),
            Some(IpAddr::V6(v6)) => {
                let mut prefix = [0u8; 8];
                prefix.copy_from_slice(&v6.octets()[..8]);
                ClientKey::V6Prefix(prefix)
            }
            None => ClientKey::Unknown,
        }
    }
}
