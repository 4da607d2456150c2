#include "tui/client/config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "tui/client/paths.hpp"

namespace tacit::client {

namespace {
std::string trim(const std::string& s) {
    auto a = s.find_first_not_of(" \t\r");
    if (a == std::string::npos) return "";
    auto b = s.find_last_not_of(" \t\r");
    return s.substr(a, b - a + 1);
}
}  // namespace

std::string default_config_path() {
    auto dir = config_home();
    return dir.empty() ? "" : dir + "/config";  // "": no config file, defaults only
}

std::string default_server(const std::string& team_socket) {
    struct stat st{};
    if (stat(team_socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return "unix:" + team_socket;
    return "127.0.0.1:7700";
}

Config load_config(const std::string& path) {
    Config c;
    c.server = default_server();
    std::ifstream in(path);
    if (!in) return c;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        auto t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        auto eq = t.find('=');
        if (eq == std::string::npos)
            throw std::runtime_error(path + ":" + std::to_string(n) + ": expected key = value");
        auto k = trim(t.substr(0, eq)), v = trim(t.substr(eq + 1));
        if (k == "server") c.server = v;
        else if (k == "server_key") c.server_key = v;
        else if (k == "user") c.user = v;
        else if (k == "colors" || k == "colours") {
            if (v != "auto" && v != "yes" && v != "no")
                throw std::runtime_error(path + ":" + std::to_string(n) + ": colors is auto, yes or no");
            c.colors = v;
        } else if (k == "notify") {
            if (v != "none" && v != "bell" && v != "osc")
                throw std::runtime_error(path + ":" + std::to_string(n) + ": notify is none, bell or osc");
            c.notify = v;
        } else if (k == "highlight") {
            c.highlight.clear();
            for (size_t at = 0; at <= v.size();) {
                size_t comma = std::min(v.find(',', at), v.size());
                if (auto word = trim(v.substr(at, comma - at)); !word.empty()) c.highlight.push_back(word);
                at = comma + 1;
            }
        } else if (k == "width") {
            if (v != "auto" && v != "tmux" && v != "sum")
                throw std::runtime_error(path + ":" + std::to_string(n) + ": width is auto, tmux or sum");
            c.width = v;
        } else
            throw std::runtime_error(path + ":" + std::to_string(n) + ": unknown key " + k);
    }
    return c;
}

}  // namespace tacit::client
