#include "tui/client/known_servers.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "tui/client/file_lock.hpp"
#include "tui/client/paths.hpp"
#include "tui/client/replace_file.hpp"

namespace tacit::client {

std::optional<ServerBundle> known_server(const std::string& file, const std::string& server) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        auto sp = line.find(' ');
        if (sp == std::string::npos || line.compare(0, sp, server) != 0 || sp != server.size()) continue;
        return parse_server_pub(line.substr(sp + 1));
    }
    return std::nullopt;
}

std::vector<std::string> addresses_pinned_to(const std::string& file, const ServerBundle& b) {
    std::vector<std::string> out;
    const auto want = b.encode();
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        if (auto k = parse_server_pub(line.substr(sp + 1)); k && k->encode() == want) out.push_back(line.substr(0, sp));
    }
    return out;
}

void remember_server(const std::string& file, const std::string& server, const ServerBundle& b) {
    auto slash = file.rfind('/');
    if (slash != std::string::npos) make_dirs(file.substr(0, slash));
    // Other terminals of the account may be pinning another address now.
    FileLock lock(file + ".lock");
    auto pub = format_server_pub(b);
    while (!pub.empty() && pub.back() == '\n') pub.pop_back();
    const std::string entry = server + " " + pub;
    std::vector<std::string> keep;
    bool present = false;
    {
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line)) {
            if (line == entry) present = true;
            if (line.compare(0, server.size() + 1, server + " ") != 0) keep.push_back(line);
        }
    }
    if (present) return;
    keep.push_back(entry);
    std::string text;
    for (auto& l : keep) text += l + "\n";
    replace_file(file, as_bytes(text), 0600);
}

ServerBundle read_server_pub(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read server key file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto b = parse_server_pub(ss.str());
    if (!b) throw std::runtime_error(path + " is not a tacit server public key (tacit-server-v2 ...)");
    return *b;
}

}  // namespace tacit::client
