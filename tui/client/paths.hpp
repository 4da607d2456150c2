// Where the client keeps things (XDG base directories).
#pragma once
#include <string>

namespace tacit::client {

std::string data_home();    // $XDG_DATA_HOME/tacit or ~/.local/share/tacit
std::string config_home();  // $XDG_CONFIG_HOME/tacit or ~/.config/tacit
// "127.0.0.1:7700" -> "127.0.0.1_7700": one folder per server.
std::string server_dirname(const std::string& server);
// mkdir -p with the given mode for each created component.
void make_dirs(const std::string& path, unsigned mode = 0700);

}  // namespace tacit::client
