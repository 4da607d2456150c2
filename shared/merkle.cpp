#include "shared/merkle.hpp"

#include "shared/crypto.hpp"

namespace tacit::merkle {

namespace {

// The largest power of two below n (n > 1): RFC 9162's split point k.
size_t split(size_t n) {
    size_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}

}  // namespace

Hash leaf_hash(const Array<32>& salt, ByteView input) {
    const uint8_t tag = 0x00;
    return crypto::sha256({ByteView(&tag, 1), salt, input});
}

Hash node_hash(const Hash& left, const Hash& right) {
    const uint8_t tag = 0x01;
    return crypto::sha256({ByteView(&tag, 1), left, right});
}

Hash root(std::span<const Hash> leaves) {
    if (leaves.size() == 1) return leaves[0];
    size_t k = split(leaves.size());
    return node_hash(root(leaves.first(k)), root(leaves.subspan(k)));
}

std::vector<Hash> audit_path(std::span<const Hash> leaves, size_t m) {
    if (leaves.size() <= 1) return {};
    size_t k = split(leaves.size());
    std::vector<Hash> p;
    if (m < k) {
        p = audit_path(leaves.first(k), m);
        p.push_back(root(leaves.subspan(k)));
    } else {
        p = audit_path(leaves.subspan(k), m - k);
        p.push_back(root(leaves.first(k)));
    }
    return p;
}

std::optional<Hash> root_from_path(uint64_t index, uint64_t size, const Hash& leaf, std::span<const Hash> path) {
    if (index >= size) return std::nullopt;
    uint64_t fn = index, sn = size - 1;
    Hash r = leaf;
    for (const Hash& p : path) {
        if (sn == 0) return std::nullopt;
        if ((fn & 1) || fn == sn) {
            r = node_hash(p, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return std::nullopt;
    return r;
}

}  // namespace tacit::merkle
