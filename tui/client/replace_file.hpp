// Writing the client's own files: keys, pinned servers, public key copies.
#pragma once
#include <string>
#include <sys/types.h>

#include "shared/bytes.hpp"

namespace tacit::client {

// Replaces path with data, atomically: a new file path.XXXXXX (mkostemp:
// O_EXCL, a name no other process holds) gets the given mode, is written,
// fsynced and renamed over path; on any failure it is removed. Throws on
// failure.
void replace_file(const std::string& path, ByteView data, mode_t mode);

}  // namespace tacit::client
