#include "tui/client/replace_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "shared/unique_fd.hpp"

namespace tacit::client {

namespace {
[[noreturn]] void fail(const char* what, const std::string& path) {
    throw std::runtime_error(std::string(what) + " " + path + ": " + std::strerror(errno));
}
}  // namespace

// Unlinks the temporary file unless it was renamed into place.
struct TmpFile {
    std::string path;
    bool placed = false;
    ~TmpFile() {
        if (!placed) ::unlink(path.c_str());
    }
};

void replace_file(const std::string& path, ByteView data, mode_t mode) {
    // A name of its own: another process of the account may be replacing
    // the same file at this moment (two terminals and a bot on one host).
    std::string name = path + ".XXXXXX";
    UniqueFd fd(::mkostemp(name.data(), O_CLOEXEC));
    if (!fd) fail("cannot create", name);
    TmpFile tmp{name};
    if (::fchmod(fd.get(), mode) != 0) fail("cannot chmod", name);
    while (!data.empty()) {
        ssize_t n = ::write(fd.get(), data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("cannot write", name);
        data = data.subspan(size_t(n));
    }
    if (::fsync(fd.get()) != 0) fail("cannot sync", name);
    if (::close(fd.release()) != 0) fail("cannot write", name);
    if (std::rename(name.c_str(), path.c_str()) != 0) fail("cannot replace", path);
    tmp.placed = true;
}

}  // namespace tacit::client
