// The client's signed prekey over its life (tacit-protocol(7), PREKEYS):
// made on first use, replaced weekly and by /rekey, and each replaced one
// kept through the grace period (retired_keys.hpp), so an X3DH init made
// from a bundle fetched before the change still opens.
//
// Local store secrets (sealed like every secret, local_store.hpp):
//   "prekey spk"          u32 id | u64 created | priv[32]
//   "prekey spk retired"  u8 n | n x (u32 id | u64 retired | u8 drained | priv[32])
// Times are seconds since the epoch. Every change is one store
// transaction (LocalStore::update_secrets), so terminals of the account
// starting at once agree on one current key.
#pragma once
#include <cstdint>
#include <optional>

#include "shared/crypto.hpp"
#include "tui/client/local_store.hpp"

namespace tacit::client {


constexpr uint64_t kSpkLifetime = 7 * 86400;  // a signed prekey is replaced after a week
constexpr size_t kMaxRetiredSpks = 16;        // the oldest goes first past this

struct OwnSpk {
    uint32_t id = 0;
    uint64_t created = 0;
    crypto::X25519Key key;
};

enum class SpkRenewal { AsDue, Now };

// The current signed prekey. A new one is made (and committed) when there
// is none, when it is kSpkLifetime old, or with SpkRenewal::Now; the one
// it replaces is retired at now.
OwnSpk current_spk(LocalStore& store, uint64_t now, SpkRenewal renewal);
// Writes o as the current signed prekey in t: a new account's first one,
// made before the account exists (client_impl.hpp, FirstPrekeys).
void put_spk(LocalStore::SecretTxn& t, const OwnSpk& o);
// Whether current_spk would make a new one.
bool spk_due(LocalStore& store, uint64_t now);
// A fetch that started at `started` emptied the mailbox: the replaced keys
// past the grace period are deleted (retired_keys.hpp).
void spk_mailbox_drained(LocalStore& store, uint64_t started, uint64_t now);
// The private half of the signed prekey with this id, current or retired.
std::optional<crypto::X25519Key> stored_spk(LocalStore& store, uint32_t id);

}  // namespace tacit::client
