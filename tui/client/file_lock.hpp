// An exclusive flock(2) on a lock file beside a file several processes of
// one account rewrite (two terminals and a bot on one host): held from
// construction to destruction, so their read-modify-writes never interleave.
#pragma once
#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "shared/unique_fd.hpp"

namespace tacit::client {

class FileLock {
public:
    explicit FileLock(const std::string& path)
        : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) {
        if (!fd_) throw std::runtime_error("cannot open lock file " + path + ": " + std::strerror(errno));
        int rc;
        do rc = ::flock(fd_.get(), LOCK_EX);
        while (rc != 0 && errno == EINTR);
        if (rc != 0) throw std::runtime_error("cannot lock " + path + ": " + std::strerror(errno));
    }

private:
    UniqueFd fd_;  // closing it releases the lock
};

}  // namespace tacit::client
