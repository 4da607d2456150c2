// Owns one file descriptor and closes it when it dies (move-only).
#pragma once
#include <unistd.h>

#include <utility>

namespace tacit {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }

    // The caller now owns the fd.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

    // close() is not retried on EINTR: on Linux the fd is gone either way and
    // a retry could close an fd another part of the program just opened.
    void reset(int fd = -1) noexcept {
        int old = std::exchange(fd_, fd);
        if (old >= 0) (void)::close(old);
    }

private:
    int fd_ = -1;
};

}  // namespace tacit
