// Keeps secrets out of core files: both programs call this first thing.
#pragma once
#include <string>

namespace tacit {

// RLIMIT_CORE 0 (no core file) and PR_SET_DUMPABLE 0 (no core either, and
// other processes of the same uid can no longer ptrace this one or read its
// /proc/PID/mem). Returns what failed, "" if both held.
std::string disable_core_dumps();

}  // namespace tacit
