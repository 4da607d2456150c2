// The addresses of one server (tacit(1), --server): "ADDR[,ADDR...]", each
// HOST:PORT or unix:PATH, the nodes of one cluster or the ways to one
// tacitd. They share one server key, so a key pinned for one of them holds
// for all. The client connects to the one that last worked and, when that
// fails to connect, tries the others in order.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/net.hpp"

namespace tacit::client {

class ServerList {
public:
    // nullopt: empty, an empty item, a bad address, or more than kMax.
    static std::optional<ServerList> parse(std::string_view list, uint16_t default_port);
    static constexpr size_t kMax = 16;

    const Endpoint& current() const { return eps_[at_]; }
    const std::string& current_name() const { return names_[at_]; }
    size_t size() const { return eps_.size(); }
    // The i-th address in the order to try now: the current one first.
    size_t in_turn(size_t i) const { return (at_ + i) % eps_.size(); }
    void use(size_t index) { at_ = index; }
    const std::vector<std::string>& names() const { return names_; }

private:
    std::vector<Endpoint> eps_;
    std::vector<std::string> names_;  // to_string of each: the known_servers spelling
    size_t at_ = 0;
};

}  // namespace tacit::client
