// Writing the client's own files: keys, pinned servers, public key copies.
#pragma once
#include <string>
#include <sys/types.h>

#include "shared/bytes.hpp"

namespace tacit::client {

// Replaces path with data, atomically: path.tmp is created with O_EXCL and
// O_NOFOLLOW and the given mode (a stale one from a crash is removed first,
// never followed), written, fsynced and renamed over path. Throws on failure.
void replace_file(const std::string& path, ByteView data, mode_t mode);

}  // namespace tacit::client
