#include "srv/peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <fmt/core.h>

#include "shared/net.hpp"
#include "shared/unix_socket.hpp"

namespace tacit::srv {

std::string ip_limit_key(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
        return inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf) ? buf : "?";
    }
    if (ss.ss_family != AF_INET6) return "?";
    in6_addr a = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a))
        return inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof buf) ? buf : "?";
    std::memset(&a.s6_addr[8], 0, 8);
    if (!inet_ntop(AF_INET6, &a, buf, sizeof buf)) return "?";
    return std::string(buf) + "/64";
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
    return {peer_address(fd), ip_limit_key(ss)};
}

}  // namespace tacit::srv
