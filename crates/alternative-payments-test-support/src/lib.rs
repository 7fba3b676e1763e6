//! What the workspace's tests share, so that it is written once: the
//! per-operation fixtures and what surrounds them (feature `fixtures`, on by
//! default), and the fuzzing helpers ([`fuzz`]), which the xtask uses
//! without the SDK.

pub mod fuzz;

/// A loopback port nothing listens on (it was free a moment ago).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

#[cfg(feature = "fixtures")]
mod fixtures;
#[cfg(feature = "fixtures")]
pub use fixtures::*;
