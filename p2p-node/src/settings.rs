//! Turning what a person typed or configured (an address, a swarm key file, a port to listen
//! on) into the parts of a [`crate::NodeConfig`], with a one-line reason when it is wrong.
//!
//! libp2p's own errors for these say *that* something failed ("invalid multiaddr", "key
//! error", a listener that never comes up) but rarely *what* to fix; these checks run before
//! the node starts and name the file, the line or the address.

use std::path::{Path, PathBuf};

use libp2p::pnet::{KeyParseError, PreSharedKey};
use libp2p::Multiaddr;

/// Parses a multiaddr given as a flag or a config value (`--peer`, `--listen`, `[p2p] peers`).
///
/// The error is one line that shows the expected form, and is a `String` so that the function
/// serves directly as a clap `value_parser`.
pub fn parse_multiaddr(s: &str) -> Result<Multiaddr, String> {
    s.parse::<Multiaddr>()
        .map_err(|e| format!("not a multiaddr ({e}); e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…"))
}

/// Why a swarm key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SwarmKeyError {
    /// The file could not be read (missing, unreadable, not UTF-8); `source` says why.
    #[error("cannot read the swarm key file {}", path.display())]
    Read {
        /// The file named in the configuration.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a libp2p swarm key; `why` names the line at fault.
    #[error("{} is not a swarm key: {why}", path.display())]
    Invalid {
        /// The file named in the configuration.
        path: PathBuf,
        /// Which part of the three-line format is wrong, as a clause
        /// (`its second line is not /base16/`).
        why: &'static str,
    },
}

/// Reads a libp2p swarm key file: three lines, `/key/swarm/psk/1.0.0/`, `/base16/`, and 64
/// hex digits (the format `ipfs-swarm-key-gen` writes and every libp2p implementation reads).
pub fn read_swarm_key(path: &Path) -> Result<PreSharedKey, SwarmKeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| SwarmKeyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse::<PreSharedKey>()
        .map_err(|e| SwarmKeyError::Invalid {
            path: path.to_path_buf(),
            why: swarm_key_fault(&e),
        })
}

/// The part of a swarm key file that `e` faults, as a clause for [`SwarmKeyError::Invalid`].
fn swarm_key_fault(e: &KeyParseError) -> &'static str {
    match e {
        KeyParseError::InvalidKeyFile => "it does not have the three lines of a key file",
        KeyParseError::InvalidKeyType => "its first line is not /key/swarm/psk/1.0.0/",
        KeyParseError::InvalidKeyEncoding => "its second line is not /base16/",
        KeyParseError::InvalidKeyLength => "its key is not 64 hex digits",
        KeyParseError::InvalidKeyChar(_) => "its key has a character that is not a hex digit",
    }
}

/// An address this machine cannot listen on, with the system's reason.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {reason}")]
pub struct BindError {
    /// The address as given.
    pub addr: Multiaddr,
    /// What the operating system said when the address was bound (in use, not an address of
    /// this machine, permission denied for a low port, …).
    pub reason: std::io::Error,
}

/// Fails with the system's reason when `addr` (`/ip4|ip6/…/tcp|udp/PORT…`) names an address
/// this machine cannot bind. Call it before starting the node: libp2p reports a failed
/// listener only as an event without the reason, and `attrib node` would then wait for an
/// address that never comes up.
///
/// Binds and releases the socket at once, so there is a short window in which another
/// process can take the port; the node's own listener then fails as it would have anyway.
/// Addresses of other shapes (DNS names, `/memory/`) are not checked.
pub fn check_bindable(addr: &Multiaddr) -> Result<(), BindError> {
    let text = addr.to_string();
    let parts: Vec<&str> = text.split('/').collect();
    let (ip, proto, port) = match parts.as_slice() {
        ["", "ip4" | "ip6", ip, proto @ ("tcp" | "udp"), port, ..] => (*ip, *proto, *port),
        _ => return Ok(()),
    };
    let (Ok(ip), Ok(port)) = (ip.parse::<std::net::IpAddr>(), port.parse::<u16>()) else {
        return Ok(());
    };
    let result = if proto == "tcp" {
        std::net::TcpListener::bind((ip, port)).map(drop)
    } else {
        std::net::UdpSocket::bind((ip, port)).map(drop)
    };
    result.map_err(|reason| BindError {
        addr: addr.clone(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_multiaddr_says_what_one_looks_like() {
        assert!(parse_multiaddr("/ip4/127.0.0.1/tcp/4001").is_ok());
        let e = parse_multiaddr("127.0.0.1:4001").expect_err("not a multiaddr");
        assert!(e.starts_with("not a multiaddr ("), "{e}");
        assert!(
            e.ends_with("); e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…"),
            "{e}"
        );
    }

    #[test]
    fn swarm_key_errors_name_the_file_and_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("swarm.key");
        let missing = read_swarm_key(&path).expect_err("missing");
        assert_eq!(
            missing.to_string(),
            format!("cannot read the swarm key file {}", path.display())
        );
        let cases = [
            (
                "just one line",
                "it does not have the three lines of a key file",
            ),
            (
                "/key/swarm/psk/2.0.0/\n/base16/\n00\n",
                "its first line is not /key/swarm/psk/1.0.0/",
            ),
            (
                "/key/swarm/psk/1.0.0/\n/base64/\n00\n",
                "its second line is not /base16/",
            ),
            (
                "/key/swarm/psk/1.0.0/\n/base16/\n00\n",
                "its key is not 64 hex digits",
            ),
        ];
        for (text, why) in cases {
            std::fs::write(&path, text).expect("write");
            let e = read_swarm_key(&path).expect_err(text);
            assert_eq!(
                e.to_string(),
                format!("{} is not a swarm key: {why}", path.display())
            );
        }
        let key = "/key/swarm/psk/1.0.0/\n/base16/\n".to_string() + &"ab".repeat(32) + "\n";
        std::fs::write(&path, key).expect("write");
        assert!(read_swarm_key(&path).is_ok());
    }

    #[test]
    fn an_address_in_use_is_refused_with_the_reason() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        let addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().expect("addr");
        let e = check_bindable(&addr).expect_err("in use");
        assert!(
            e.to_string()
                .starts_with(&format!("cannot listen on {addr}: ")),
            "{e}"
        );
        drop(taken);
        let free: Multiaddr = "/ip4/127.0.0.1/tcp/0".parse().expect("addr");
        assert!(check_bindable(&free).is_ok());
        let dns: Multiaddr = "/dns4/example.invalid/tcp/1".parse().expect("addr");
        assert!(check_bindable(&dns).is_ok(), "other shapes are not checked");
    }
}
