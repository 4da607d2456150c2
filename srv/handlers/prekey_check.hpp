// The checks a prekey set passes before the server stores it, shared by
// PREKEY_UPLOAD and REGISTER (tacit-protocol(7), PREKEYS); defined in
// srv/handlers/prekey.cpp.
#pragma once
#include <cstdint>
#include <string>

#include "shared/messages_prekey.hpp"
#include "srv/store/operations.hpp"

namespace tacit::srv {

// Why the set is unusable, with its status (TOO_LARGE for more than
// proto::kMaxPrekeysPerUpload one-time prekeys, else BAD_REQUEST), or OK
// and "". All but the signed prekey's signature: the caller has the pool
// check that, with prekey_sig_input's bytes, after these.
struct PrekeyProblem {
    uint8_t status = proto::OK;
    std::string why;
};
PrekeyProblem prekey_problem(const msg::PrekeySet& set);

// What the user's identity key signs for the signed prekey (x3dh.hpp).
Bytes prekey_sig_input(const std::string& user, const msg::PrekeySet& set);

// The store write of a checked set for user.
store::PrekeyUpload prekey_write(const std::string& user, msg::PrekeySet set);

extern const char* const kBadPrekeySig;

}  // namespace tacit::srv
