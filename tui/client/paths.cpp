#include "tui/client/paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace tacit::client {

namespace {
// base/tacit from var if it is absolute, else $HOME + fallback + /tacit;
// "" when there is neither.
std::string xdg(const char* var, const char* fallback) {
    const char* v = std::getenv(var);
    if (v && *v == '/') return std::string(v) + "/tacit";
    const char* home = std::getenv("HOME");
    if (!home || *home != '/') return "";
    return std::string(home) + fallback + "/tacit";
}

std::string describe_mode(const struct stat& st) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", unsigned(st.st_mode & 07777));
    return buf;
}
}  // namespace

std::string data_home() {
    auto d = xdg("XDG_DATA_HOME", "/.local/share");
    if (d.empty())
        throw std::runtime_error("no private data directory: neither HOME nor XDG_DATA_HOME is set to an "
                                 "absolute path (tacit(1) FILES); set one and run again");
    return d;
}
std::string config_home() { return xdg("XDG_CONFIG_HOME", "/.config"); }

void make_dirs(const std::string& path, unsigned mode) {
    for (size_t i = 1; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            auto part = path.substr(0, i);
            if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST)
                throw std::runtime_error("cannot create " + part);
        }
    }
}

std::string why_not_private(const std::string& dir) {
    if (dir.empty() || dir[0] != '/') return dir + " is not an absolute path";
    const uid_t me = ::geteuid();
    struct stat st{};
    if (::lstat(dir.c_str(), &st) != 0) return "cannot stat " + dir + ": " + std::strerror(errno);
    if (S_ISLNK(st.st_mode)) return dir + " is a symbolic link";
    if (!S_ISDIR(st.st_mode)) return dir + " is not a directory";
    if (st.st_uid != me) return dir + " is owned by uid " + std::to_string(st.st_uid) + ", not by you";
    if (st.st_mode & 022) return dir + " is writable by group or others (mode " + describe_mode(st) + ")";
    // Every directory above: one who can write there can swap dir for theirs.
    for (std::string up = dir; up.size() > 1;) {
        up.erase(up.find_last_of('/'));
        if (up.empty()) up = "/";
        if (::stat(up.c_str(), &st) != 0) return "cannot stat " + up + ": " + std::strerror(errno);
        if (st.st_uid != me && st.st_uid != 0)
            return up + " is owned by uid " + std::to_string(st.st_uid) + ", neither you nor root";
        if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
            return up + " is writable by group or others (mode " + describe_mode(st) + ")";
    }
    return "";
}

std::string private_data_dir(const std::string& dir) {
    make_dirs(dir, 0700);
    if (auto why = why_not_private(dir); !why.empty())
        throw std::runtime_error("refusing to keep keys and history there: " + why);
    return dir;
}

}  // namespace tacit::client
