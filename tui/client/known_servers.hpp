// Server key pinning, as ssh's known_hosts: one line per server,
// "HOST:PORT tacit-server-v2 <base64 bundle>", in $XDG_DATA_HOME/tacit/known_servers.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "shared/keys.hpp"

namespace tacit::client {

std::optional<ServerBundle> known_server(const std::string& file, const std::string& server);
// Every address pinned to b, in file order.
std::vector<std::string> addresses_pinned_to(const std::string& file, const ServerBundle& b);
void remember_server(const std::string& file, const std::string& server, const ServerBundle& b);
// Reads a server.pub file ("tacit-server-v2 <base64>"; a "tacit-server-v1" line is read too); throws with a clear message.
ServerBundle read_server_pub(const std::string& path);

}  // namespace tacit::client
