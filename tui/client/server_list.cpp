#include "tui/client/server_list.hpp"

namespace tacit::client {

std::optional<ServerList> ServerList::parse(std::string_view list, uint16_t default_port) {
    ServerList out;
    while (true) {
        const size_t comma = list.find(',');
        auto ep = parse_endpoint(list.substr(0, comma), default_port);
        if (!ep || out.eps_.size() == kMax) return std::nullopt;
        out.names_.push_back(to_string(*ep));
        out.eps_.push_back(std::move(*ep));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace tacit::client
