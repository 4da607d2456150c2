#include "shared/batch_sig.hpp"

#include <algorithm>

#include "shared/wire.hpp"

namespace tacit::batch {

Bytes encode(const Proof& p) {
    Writer w;
    w.u32(p.size).u32(p.index).raw(p.salt).u8(uint8_t(p.path.size()));
    for (const auto& h : p.path) w.raw(h);
    w.raw(p.root_sig);
    return w.bytes();
}

std::optional<Proof> parse(ByteView b) {
    try {
        Reader r(b);
        Proof p;
        p.size = r.u32();
        p.index = r.u32();
        if (p.size == 0 || p.size > merkle::kMaxLeaves || p.index >= p.size) return std::nullopt;
        p.salt = r.fixed<32>();
        size_t m = r.u8();
        if (m > merkle::kMaxPath) return std::nullopt;
        for (size_t i = 0; i < m; ++i) p.path.push_back(r.fixed<32>());
        size_t rest = r.remaining();
        if (rest == 0 || rest > kMaxRootSig) return std::nullopt;
        p.root_sig = r.raw(rest);
        return p;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

Bytes root_input(uint32_t count, const merkle::Hash& root) {
    Writer w;
    w.raw(as_bytes(kLabel)).u32(count).raw(root);
    return w.bytes();
}

std::vector<Bytes> sign(const crypto::PkKey& key, std::span<const Bytes> inputs) {
    const uint32_t n = uint32_t(inputs.size());
    std::vector<Array<32>> salts(n);
    std::vector<merkle::Hash> leaves(n);
    for (uint32_t i = 0; i < n; ++i) {
        salts[i] = crypto::random_array<32>();
        leaves[i] = merkle::leaf_hash(salts[i], inputs[i]);
    }
    const merkle::Hash root = merkle::root(leaves);
    Bytes sig = key.sign(root_input(n, root));
    std::vector<Bytes> out;
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i)
        out.push_back(encode(Proof{n, i, salts[i], merkle::audit_path(leaves, i), sig}));
    return out;
}

bool Verifier::known(uint32_t size, const merkle::Hash& root) const {
    return std::any_of(roots_.begin(), roots_.end(), [&](const auto& r) {
        return r.first == size && ct_equal(r.second, root);
    });
}

bool Verifier::verify(const crypto::PkKey& server, ByteView input, ByteView proof) {
    auto p = parse(proof);
    if (!p) return false;
    auto root = merkle::root_from_path(p->index, p->size, merkle::leaf_hash(p->salt, input), p->path);
    if (!root) return false;
    if (known(p->size, *root)) return true;
    if (!server.verify(root_input(p->size, *root), p->root_sig)) return false;
    roots_.emplace_back(p->size, *root);
    if (roots_.size() > kRemembered) roots_.pop_front();
    return true;
}

}  // namespace tacit::batch
