// The batch signature on server replies (tacit-protocol(7), "Batch
// signatures"): the server signs the Merkle root (shared/merkle.hpp) of
// every signed reply of one loop pass once, with P-256, over
//   "tacit v2 batch" | u32 count | root[32]
// and each reply's sig field carries its proof:
//   u32 n | u32 i | salt[32] | u8 m | m x hash[32] | root_sig (DER, the rest)
// n the tree's size, i the reply's leaf, m the audit path's length. The
// leaf is SHA-256(0x00 | salt | the reply's signature input).
#pragma once
#include <cstddef>
#include <deque>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "shared/bytes.hpp"
#include "shared/crypto.hpp"
#include "shared/merkle.hpp"

namespace tacit::batch {

inline constexpr const char* kLabel = "tacit v2 batch";
// A P-256 DER signature is at most 72 bytes; a little room, no more.
inline constexpr size_t kMaxRootSig = 80;

struct Proof {
    uint32_t size = 0;
    uint32_t index = 0;
    Array<32> salt{};
    std::vector<merkle::Hash> path;
    Bytes root_sig;
};

Bytes encode(const Proof& p);
// nullopt unless the bytes are exactly one proof within every bound.
std::optional<Proof> parse(ByteView b);

// What the root signature covers.
Bytes root_input(uint32_t count, const merkle::Hash& root);

// One signature for all inputs (each a reply's signature input): the
// proof bytes for each, in order. inputs must not be empty.
std::vector<Bytes> sign(const crypto::PkKey& key, std::span<const Bytes> inputs);

// Checks proofs against one server key, remembering the roots whose
// signature verified, so the replies of one pass cost one P-256 verify.
class Verifier {
public:
    bool verify(const crypto::PkKey& server, ByteView input, ByteView proof);

private:
    static constexpr size_t kRemembered = 32;
    bool known(uint32_t size, const merkle::Hash& root) const;
    std::deque<std::pair<uint32_t, merkle::Hash>> roots_;  // newest last
};

}  // namespace tacit::batch
