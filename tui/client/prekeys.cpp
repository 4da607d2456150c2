// The client's prekeys (tacit-protocol(7), PREKEYS): one signed prekey and
// a pool of one-time prekeys on the server, their private halves in the
// encrypted local store. Every private key is committed to disk before its
// public half is uploaded, so a crash never leaves the server handing out
// a prekey this client cannot use (a new account's first prekeys are the
// exception, FirstPrekeys). Direct messages open their X3DH
// sessions with them (dm_sessions.hpp).
//
// Local store secrets (sealed like every secret, local_store.hpp), besides
// the signed prekey's (signed_prekey.hpp):
//   "prekey opk ID"  priv[32]   (ID in decimal)
//   "prekey next"    u32 the next one-time prekey id to hand out
#include <fmt/core.h>

#include "shared/clock.hpp"
#include "tui/client/client_impl.hpp"

namespace tacit::client {

namespace {

constexpr size_t kBatch = 20;  // one-time prekeys per top-up, above proto::kPrekeyLowWater
constexpr std::string_view kNextName = "prekey next";

// keys numbered from first on, and the next id after them, written in t.
void save_opks(LocalStore::SecretTxn& t, uint32_t first, const std::vector<crypto::X25519Key>& keys) {
    for (size_t i = 0; i < keys.size(); ++i) t.put(opk_name(first + uint32_t(i)), keys[i].priv);
    uint8_t b[4];
    put_u32be(b, first + uint32_t(keys.size()));
    t.put(std::string(kNextName), ByteView(b, 4));
}

std::vector<crypto::X25519Key> fresh_opks() {
    std::vector<crypto::X25519Key> keys;
    for (size_t i = 0; i < kBatch; ++i) keys.push_back(crypto::X25519Key::generate());
    return keys;
}

std::vector<msg::PrekeyOpk> public_halves(uint32_t first, const std::vector<crypto::X25519Key>& keys) {
    std::vector<msg::PrekeyOpk> out;
    for (size_t i = 0; i < keys.size(); ++i) out.push_back(msg::PrekeyOpk{first + uint32_t(i), keys[i].pub});
    return out;
}

// kBatch fresh one-time prekeys, their private halves and the next id
// committed before they are returned for upload, in one store transaction:
// two terminals topping up at once take different ids.
std::vector<msg::PrekeyOpk> new_opks(LocalStore& store) {
    auto keys = fresh_opks();
    std::vector<msg::PrekeyOpk> out;
    store.update_secrets([&](LocalStore::SecretTxn& t) {
        uint32_t next = 1;
        if (auto s = t.get(std::string(kNextName)); s && s->size() == 4) next = get_u32be(s->data());
        save_opks(t, next, keys);
        out = public_halves(next, keys);
    });
    return out;
}

}  // namespace

std::string opk_name(uint32_t id) { return fmt::format("prekey opk {}", id); }

std::optional<crypto::X25519Key> stored_opk(LocalStore& store, uint32_t id) {
    auto s = store.get_secret(opk_name(id));
    if (!s || s->size() != 32) return std::nullopt;
    return crypto::X25519Key::from_private(*s);
}

FirstPrekeys FirstPrekeys::generate(uint64_t now) {
    return FirstPrekeys{OwnSpk{1, now, crypto::X25519Key::generate()}, fresh_opks()};
}

msg::PrekeySet FirstPrekeys::signed_by(const crypto::PkKey& sign, const std::string& user) const {
    return msg::PrekeySet{x3dh::sign_prekey(sign, user, spk.id, spk.created, spk.key.pub), public_halves(1, opks)};
}

void FirstPrekeys::commit(LocalStore& store) const {
    store.update_secrets([&](LocalStore::SecretTxn& t) {
        put_spk(t, spk);
        save_opks(t, 1, opks);
    });
}

// One upload at a time, and only when logged in with a store: true when
// the caller now owns the upload (upload_prekeys sets it Idle again).
bool Client::Impl::claim_prekey_upload() {
    if (prekeys != Prekeys::Idle || !store || !self.token_) return false;
    prekeys = Prekeys::Uploading;
    return true;
}

void Client::Impl::start_prekey_upload() {
    if (claim_prekey_upload()) background(upload_prekeys(SpkRenewal::AsDue), "could not upload prekeys");
}

// After login, in the login's own turn of the lane (lane.hpp), so the
// prekeys are on the server when login returns. A failure is reported,
// never a failed login.
Task<void> Client::Impl::publish_prekeys(SpkRenewal renewal) {
    if (!claim_prekey_upload()) co_return;
    std::string failed;
    try {
        auto uploading = upload_prekeys(renewal);
        auto r = co_await uploading;
        if (!r.ok) failed = r.msg;
    } catch (const std::exception& e) {
        failed = e.what();
    }
    if (!failed.empty()) info("could not upload prekeys: " + failed);
}

// Publishes the signed prekey (a new one when due, or with
// SpkRenewal::Now); tops up the pool when the server holds fewer than
// proto::kPrekeyLowWater one-time prekeys.
Task<Result> Client::Impl::upload_prekeys(SpkRenewal renewal) {
    struct Done {
        Prekeys& p;
        ~Done() { p = Prekeys::Idle; }
    } done{prekeys};
    auto own = current_spk(*store, wall_s(), renewal);
    auto spk = x3dh::sign_prekey(id->sign, self.user_, own.id, own.created, own.key.pub);
    size_t pool = 0;
    auto first = send_prekeys(spk, {}, &pool);
    auto r = co_await first;
    if (!r.ok || pool >= proto::kPrekeyLowWater) co_return r;
    auto topping = send_prekeys(spk, new_opks(*store), &pool);
    co_return co_await topping;
}

Task<Result> Client::Impl::send_prekeys(const x3dh::SignedPrekey& spk, std::vector<msg::PrekeyOpk> opks,
                                        size_t* pool) {
    if (!self.token_) co_return Result::fail(proto::AUTH_FAILED, "not logged in");
    msg::PrekeyUpload m;
    m.token = *self.token_;
    m.nonce = fresh_nonce();
    m.prekeys = msg::PrekeySet{spk, std::move(opks)};
    auto r = co_await ask<msg::PrekeyUploadR>(m, signed_by_me(), &msg::PrekeyUploadR::nonce);
    if (r.ok()) *pool = r.m->pool;
    co_return r.res;
}

}  // namespace tacit::client
