#include "tui/client/signed_prekey.hpp"

#include <string>
#include <vector>

#include "shared/wire.hpp"
#include "tui/client/local_store.hpp"
#include "tui/client/retired_keys.hpp"

namespace tacit::client {

namespace {

const std::string kCurrent = "prekey spk", kRetired = "prekey spk retired";

struct Retired {
    uint32_t id = 0;
    Retirement when;
    crypto::X25519Key key;
};

std::optional<OwnSpk> decode_current(const std::optional<Secret>& s) {
    if (!s || s->size() != 44) return std::nullopt;
    Reader r(*s);
    OwnSpk o;
    o.id = r.u32();
    o.created = r.u64();
    o.key = crypto::X25519Key::from_private(r.raw_view(32));
    return o;
}

// Malformed: none (the keys it held are lost, which costs only inits made
// from bundles fetched before their replacement).
std::vector<Retired> decode_retired(const std::optional<Secret>& s) {
    std::vector<Retired> out;
    if (!s) return out;
    try {
        Reader r(*s);
        const size_t n = r.u8();
        for (size_t i = 0; i < n; ++i) {
            Retired k;
            k.id = r.u32();
            k.when.at = r.u64();
            k.when.drained = r.u8() != 0;
            k.key = crypto::X25519Key::from_private(r.raw_view(32));
            out.push_back(std::move(k));
        }
        r.finish();
    } catch (const WireError&) {
        out.clear();
    }
    return out;
}

void put_encoded(LocalStore::SecretTxn& t, const std::string& name, Writer& w) {
    Bytes b = w.take();
    t.put(name, b);
    wipe(b.data(), b.size());
}

void put_retired(LocalStore::SecretTxn& t, const std::vector<Retired>& ks) {
    if (ks.empty()) {
        t.erase(kRetired);
        return;
    }
    Writer w;
    w.reserve(1 + ks.size() * 45).u8(uint8_t(ks.size()));
    for (auto& k : ks) w.u32(k.id).u64(k.when.at).u8(k.when.drained ? 1 : 0).raw(k.key.priv);
    put_encoded(t, kRetired, w);
}

bool due(const std::optional<OwnSpk>& cur, uint64_t now) {
    if (!cur) return true;
    // Made more than a lifetime in the future: the clock was set back by
    // more than a week, and the key has no trustworthy age.
    if (cur->created > now) return cur->created - now >= kSpkLifetime;
    return now - cur->created >= kSpkLifetime;
}

}  // namespace

void put_spk(LocalStore::SecretTxn& t, const OwnSpk& o) {
    Writer w;
    w.reserve(44).u32(o.id).u64(o.created).raw(o.key.priv);
    put_encoded(t, kCurrent, w);
}

OwnSpk current_spk(LocalStore& store, uint64_t now, SpkRenewal renewal) {
    OwnSpk out;
    store.update_secrets([&](LocalStore::SecretTxn& t) {
        auto cur = decode_current(t.get(kCurrent));
        if (cur && renewal == SpkRenewal::AsDue && !due(cur, now)) {
            out = std::move(*cur);
            return;
        }
        OwnSpk next{cur ? cur->id + 1 : 1, now, crypto::X25519Key::generate()};
        if (cur) {
            auto retired = decode_retired(t.get(kRetired));
            retired.push_back(Retired{cur->id, Retirement{now, false}, std::move(cur->key)});
            if (retired.size() > kMaxRetiredSpks) retired.erase(retired.begin());
            put_retired(t, retired);
        }
        put_spk(t, next);
        out = std::move(next);
    });
    return out;
}

bool spk_due(LocalStore& store, uint64_t now) { return due(decode_current(store.get_secret(kCurrent)), now); }

void spk_mailbox_drained(LocalStore& store, uint64_t started, uint64_t now) {
    if (!store.get_secret(kRetired)) return;  // the common case: no write at all
    store.update_secrets([&](LocalStore::SecretTxn& t) {
        auto retired = decode_retired(t.get(kRetired));
        std::vector<Retired> keep;
        for (auto& k : retired)
            if (still_kept(k.when, started, now)) keep.push_back(std::move(k));
        put_retired(t, keep);
    });
}

std::optional<crypto::X25519Key> stored_spk(LocalStore& store, uint32_t id) {
    if (auto cur = decode_current(store.get_secret(kCurrent)); cur && cur->id == id) return std::move(cur->key);
    for (auto& k : decode_retired(store.get_secret(kRetired)))
        if (k.id == id) return std::move(k.key);
    return std::nullopt;
}

}  // namespace tacit::client
