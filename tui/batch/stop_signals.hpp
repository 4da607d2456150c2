// The signals that end batch mode (SIGTERM, SIGINT, SIGHUP), taken through
// a signalfd so they are one more fd in batch mode's polls: the run stops
// between commands and logs out, as at end of input (tacit(1), BATCH MODE),
// instead of dying with the session open. Blocked from construction (make
// it before any thread starts: the client core's worker inherits the mask)
// until destruction.
#pragma once
#include <signal.h>

#include <string>

#include "shared/unique_fd.hpp"

namespace tacit::batch {

class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    int fd() const { return fd_.get(); }
    // Reads what is waiting (never blocks); true once a stop signal came.
    bool caught();
    const std::string& name() const { return name_; }  // "SIGTERM", once caught

private:
    sigset_t old_{};
    UniqueFd fd_;
    std::string name_;
};

}  // namespace tacit::batch
