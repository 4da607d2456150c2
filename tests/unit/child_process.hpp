// Runs a test step in a forked child, for what must not touch the test
// process itself (resource limits, signals). The step returns the child's
// exit code; the parent gets it back, or -1 if the child did not exit.
#pragma once
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace tacit::test {

template <class F> int exit_code_in_child(F&& step) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int rc = 1;
        try {
            rc = step();
        } catch (...) {
            rc = 3;
        }
        ::_exit(rc);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace tacit::test
