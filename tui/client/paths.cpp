#include "tui/client/paths.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace tacit::client {

namespace {
std::string xdg(const char* var, const char* fallback) {
    const char* v = std::getenv(var);
    if (v && *v == '/') return std::string(v) + "/tacit";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/tmp") + fallback + "/tacit";
}
}  // namespace

std::string data_home() { return xdg("XDG_DATA_HOME", "/.local/share"); }
std::string config_home() { return xdg("XDG_CONFIG_HOME", "/.config"); }

std::string server_dirname(const std::string& server) {
    std::string s;
    for (char c : server) s.push_back((isalnum((unsigned char)c) || c == '.' || c == '-') ? c : '_');
    return s;
}

void make_dirs(const std::string& path, unsigned mode) {
    for (size_t i = 1; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            auto part = path.substr(0, i);
            if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST)
                throw std::runtime_error("cannot create " + part);
        }
    }
}

}  // namespace tacit::client
