// Who is at the other end of a connection, worked out once at accept: the
// name the log gives it and the key every per-peer limit (handshake, login
// and registration buckets, the connection cap) is charged to. TCP peers are
// keyed by address, IPv6 ones by /64, since one subscriber usually holds a
// whole /64; Unix socket peers by uid from SO_PEERCRED, so local users of a
// shared host don't share one "127.0.0.1".
#pragma once
#include <sys/socket.h>

#include <string>

namespace tacit::srv {

struct Peer {
    std::string shown;  // "127.0.0.1:50312", "[2001:db8::1]:4433", "unix:uid=1000,pid=4242"
    std::string key;    // "127.0.0.1", "2001:db8:1:2::/64", "uid:1000"
};

// getpeername, and SO_PEERCRED for a Unix socket. A peer already gone is
// shown and keyed as "?" (it is about to be closed anyway).
Peer identify_peer(int fd);

// The limit key of an IP address: IPv4 and IPv4-mapped IPv6 per address,
// other IPv6 per /64. "?" for any other family.
std::string ip_limit_key(const sockaddr_storage& ss);

}  // namespace tacit::srv
