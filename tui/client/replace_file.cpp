#include "tui/client/replace_file.hpp"

#include <fcntl.h>
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

void replace_file(const std::string& path, ByteView data, mode_t mode) {
    const auto tmp = path + ".tmp";
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) fail("cannot remove", tmp);
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) fail("cannot create", tmp);
    while (!data.empty()) {
        ssize_t n = ::write(fd.get(), data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("cannot write", tmp);
        data = data.subspan(size_t(n));
    }
    if (::fsync(fd.get()) != 0) fail("cannot sync", tmp);
    if (::close(fd.release()) != 0) fail("cannot write", tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot replace", path);
}

}  // namespace tacit::client
