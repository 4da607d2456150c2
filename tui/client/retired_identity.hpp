// After /rekey, the old identity's public bundle and encryption key, kept
// through the grace period (retired_keys.hpp): mail a peer sent before it
// learned of the change is on a session set up with the old bundle, or is
// an X3DH init against the old identity key, and still opens.
//
// Local store secret (sealed like every secret, local_store.hpp):
//   "identity retired"  u8 n | n x (u64 retired | u8 drained | blob bundle | box_priv[32])
#pragma once
#include <cstdint>
#include <vector>

#include "shared/keys.hpp"

namespace tacit::client {

class LocalStore;

struct RetiredIdentity {
    UserBundle bundle;
    crypto::X25519Key box;
};

constexpr size_t kMaxRetiredIdentities = 8;  // the oldest goes first past this

// Keeps old's bundle and encryption key, retired at now.
void retire_identity(LocalStore& store, const UserIdentity& old, uint64_t now);
// Newest first.
std::vector<RetiredIdentity> retired_identities(LocalStore& store);
// A fetch that started at `started` emptied the mailbox: those past the
// grace period are deleted.
void identities_drained(LocalStore& store, uint64_t started, uint64_t now);

}  // namespace tacit::client
