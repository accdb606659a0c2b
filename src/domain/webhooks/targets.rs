//! Where deliveries may go: webhook URLs' hosts and ports, and the addresses they
//! resolve to, kept to the public internet unless the site allows private ones.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// Whether `ip` is on the public internet (not private, loopback, link-local, …).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves `host:port` and keeps only the addresses deliveries may go to; an error when
/// none is left. The HTTP client connects only to what this returns, so the check holds
/// for the addresses actually used (no second lookup can swap them).
pub fn allowed_addresses(
    host: &str,
    port: u16,
    allow_private: bool,
) -> std::io::Result<Vec<SocketAddr>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let resolved: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    let allowed: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| allow_private || is_public(a.ip()))
        .collect();
    if allowed.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            if resolved.is_empty() {
                format!("{host} does not resolve")
            } else {
                format!("{host} resolves to a private, loopback or link-local address")
            },
        ));
    }
    Ok(allowed)
}

/// The host and port of an http(s) URL, or why it is not one.
pub fn target_of(url: &str) -> Result<(String, u16), String> {
    let (scheme, rest) = url.split_once("://").ok_or("must be an http(s) URL")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err("must start with http:// or https://".into()),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("must not contain credentials".into());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (
            host,
            port.parse::<u16>().map_err(|_| "has an invalid port")?,
        ),
        _ => (authority, default_port),
    };
    if host.is_empty() {
        return Err("has no host".into());
    }
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn targets_are_parsed() {
        assert_eq!(
            target_of("https://example.com/hook"),
            Ok(("example.com".into(), 443))
        );
        assert_eq!(
            target_of("http://127.0.0.1:9000/x?y"),
            Ok(("127.0.0.1".into(), 9000))
        );
        assert_eq!(target_of("http://[::1]:81/"), Ok(("[::1]".into(), 81)));
        assert!(target_of("ftp://example.com").is_err());
        assert!(target_of("http://user:pw@example.com").is_err());
    }
}
