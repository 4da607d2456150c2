// $XDG_CONFIG_HOME/tacit/config: "key = value" lines, '#' comments.
// Keys: server, server_key, user, colors (auto|yes|no), notify (none|bell|osc),
// highlight (words that count as a mention, separated by commas).
// width (auto|tmux|sum: how the terminal advances over a grapheme cluster).
#pragma once
#include <string>
#include <vector>

namespace tacit::client {

struct Config {
    std::string server = "127.0.0.1:7700";
    std::string server_key;
    std::string user;
    std::string colors = "auto";
    std::string notify = "bell";
    std::vector<std::string> highlight;
    std::string width = "auto";
};

// The socket tacitd's systemd unit listens on (srv/tacitd.service).
inline constexpr const char* kTeamSocket = "/run/tacit/tacitd.sock";

// The server a bare `tacit` connects to: the team host's socket when there
// is one, so users of a shared host need no flag and are limited by uid,
// else the loopback port that `make run` and a plain tacitd listen on.
std::string default_server(const std::string& team_socket = kTeamSocket);

// Missing file: defaults. A bad line throws std::runtime_error naming it.
Config load_config(const std::string& path);
std::string default_config_path();

}  // namespace tacit::client
