#include "tui/client/retired_identity.hpp"

#include <string>

#include "shared/wire.hpp"
#include "tui/client/local_store.hpp"
#include "tui/client/retired_keys.hpp"

namespace tacit::client {

namespace {

const std::string kName = "identity retired";
constexpr size_t kMaxBundle = 4096;

struct Entry {
    Retirement when;
    RetiredIdentity id;
};

// Malformed: none (mail under an old key then does not open, and says so).
std::vector<Entry> decode(const std::optional<Secret>& s) {
    std::vector<Entry> out;
    if (!s) return out;
    try {
        Reader r(*s);
        const size_t n = r.u8();
        for (size_t i = 0; i < n; ++i) {
            Entry e;
            e.when.at = r.u64();
            e.when.drained = r.u8() != 0;
            auto b = UserBundle::decode(r.blob_view(kMaxBundle));
            if (!b) return {};
            e.id.bundle = std::move(*b);
            e.id.box = crypto::X25519Key::from_private(r.raw_view(32));
            out.push_back(std::move(e));
        }
        r.finish();
    } catch (const WireError&) {
        out.clear();
    }
    return out;
}

void put(LocalStore::SecretTxn& t, const std::vector<Entry>& es) {
    if (es.empty()) {
        t.erase(kName);
        return;
    }
    Writer w;
    w.reserve(1 + es.size() * (9 + 4 + kMaxBundle + 32)).u8(uint8_t(es.size()));
    for (auto& e : es) w.u64(e.when.at).u8(e.when.drained ? 1 : 0).blob(e.id.bundle.encode()).raw(e.id.box.priv);
    Bytes b = w.take();
    t.put(kName, b);
    wipe(b.data(), b.size());
}

}  // namespace

void retire_identity(LocalStore& store, const UserIdentity& old, uint64_t now) {
    store.update_secrets([&](LocalStore::SecretTxn& t) {
        auto es = decode(t.get(kName));
        es.insert(es.begin(), Entry{Retirement{now, false}, RetiredIdentity{old.bundle(), old.box}});
        if (es.size() > kMaxRetiredIdentities) es.pop_back();
        put(t, es);
    });
}

std::vector<RetiredIdentity> retired_identities(LocalStore& store) {
    std::vector<RetiredIdentity> out;
    for (auto& e : decode(store.get_secret(kName))) out.push_back(std::move(e.id));
    return out;
}

void identities_drained(LocalStore& store, uint64_t started, uint64_t now) {
    if (!store.get_secret(kName)) return;  // the common case: no write at all
    store.update_secrets([&](LocalStore::SecretTxn& t) {
        std::vector<Entry> keep;
        for (auto& e : decode(t.get(kName)))
            if (still_kept(e.when, started, now)) keep.push_back(std::move(e));
        put(t, keep);
    });
}

}  // namespace tacit::client
