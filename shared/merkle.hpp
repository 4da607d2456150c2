// Merkle trees of RFC 9162 section 2.1 (Certificate Transparency v2), for
// the batch signature (tacit-protocol(7), "Batch signatures"): the server
// signs one root per loop pass, and each reply carries its audit path.
//   leaf = SHA-256(0x00 | salt[32] | signature input)
//   node = SHA-256(0x01 | left | right)
// The salt is fresh per leaf, so a path's hashes reveal nothing about the
// other replies of the pass.
#pragma once
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "shared/bytes.hpp"

namespace tacit::merkle {

using Hash = Array<32>;

// The most leaves one tree holds: a bound on the wire's tree size, far
// above what one pass signs.
inline constexpr uint32_t kMaxLeaves = 1u << 20;
// An audit path of kMaxLeaves has at most this many hashes.
inline constexpr size_t kMaxPath = 20;

Hash leaf_hash(const Array<32>& salt, ByteView input);
Hash node_hash(const Hash& left, const Hash& right);

// MTH(D[n]) of RFC 9162 2.1.1 over leaf hashes; leaves must not be empty.
Hash root(std::span<const Hash> leaves);

// PATH(m, D[n]) of RFC 9162 2.1.3.1: the inclusion proof of leaves[m].
std::vector<Hash> audit_path(std::span<const Hash> leaves, size_t m);

// RFC 9162 2.1.3.2: the root that leaf, at index of a tree of size, and
// path lead to; nullopt when the path cannot belong to such a tree (index
// out of range, a path too long or too short).
std::optional<Hash> root_from_path(uint64_t index, uint64_t size, const Hash& leaf, std::span<const Hash> path);

}  // namespace tacit::merkle
