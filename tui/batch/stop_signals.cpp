#include "tui/batch/stop_signals.hpp"

#include <errno.h>
#include <string.h>
#include <sys/signalfd.h>

#include <system_error>

namespace tacit::batch {

StopSignals::StopSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
    if (int e = pthread_sigmask(SIG_BLOCK, &set, &old_); e != 0) throw std::system_error(e, std::generic_category(), "sigmask");
    fd_ = UniqueFd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
        throw std::system_error(e, std::generic_category(), "signalfd");
    }
}

StopSignals::~StopSignals() {
    fd_.reset();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

bool StopSignals::caught() {
    signalfd_siginfo si;
    while (::read(fd_.get(), &si, sizeof si) == ssize_t(sizeof si)) {
        if (name_.empty()) name_ = si.ssi_signo == SIGTERM ? "SIGTERM" : si.ssi_signo == SIGINT ? "SIGINT" : "SIGHUP";
    }
    return !name_.empty();
}

}  // namespace tacit::batch
