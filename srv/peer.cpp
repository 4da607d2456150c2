#include "srv/peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <fmt/core.h>

#include "shared/net.hpp"
#include "shared/unix_socket.hpp"

namespace tacit::srv {

std::string ip_limit_key(const sockaddr_storage& ss) {
    if (ss.ss_family != AF_INET6 || IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr))
        return format_host(ss);
    sockaddr_storage net = ss;
    std::memset(&reinterpret_cast<sockaddr_in6&>(net).sin6_addr.s6_addr[8], 0, 8);
    std::string host = format_host(net);
    return host == "?" ? host : host + "/64";
}

Peer identify_peer(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {"?", "?"};
    if (ss.ss_family == AF_UNIX) {
        auto cred = peer_cred(fd);
        if (!cred) return {"unix:?", "?"};
        return {fmt::format("unix:uid={},pid={}", cred->uid, cred->pid), fmt::format("uid:{}", cred->uid)};
    }
    return {format_addr(ss), ip_limit_key(ss)};
}

}  // namespace tacit::srv
