// The client's prekeys (tacit-protocol(7), PREKEYS): one signed prekey and
// a pool of one-time prekeys on the server, their private halves in the
// encrypted local store. Every private key is committed to disk before its
// public half is uploaded, so a crash never leaves the server handing out
// a prekey this client cannot use (a new account's first prekeys are the
// exception, FirstPrekeys). Direct messages open their X3DH
// sessions with them (dm_sessions.hpp).
//
// Local store secrets (sealed like every secret, local_store.hpp):
//   "prekey spk"     u32 id | u64 created | priv[32]
//   "prekey opk ID"  priv[32]   (ID in decimal)
//   "prekey next"    u32 the next one-time prekey id to hand out
#include <fmt/core.h>

#include "shared/clock.hpp"
#include "tui/client/client_impl.hpp"

namespace tacit::client {

namespace {

constexpr size_t kBatch = 20;  // one-time prekeys per top-up, above proto::kPrekeyLowWater
constexpr std::string_view kSpkName = "prekey spk", kNextName = "prekey next";

void save_spk(LocalStore& store, const OwnSpk& o) {
    Writer w;
    w.reserve(44).u32(o.id).u64(o.created).raw(o.key.priv);
    Bytes b = w.take();
    store.put_secret(std::string(kSpkName), b);
    wipe(b.data(), b.size());
}

// The stored signed prekey, or a new one committed first.
OwnSpk own_spk(LocalStore& store) {
    if (auto s = store.get_secret(std::string(kSpkName)); s && s->size() == 44) {
        Reader r(*s);
        OwnSpk o;
        o.id = r.u32();
        o.created = r.u64();
        o.key = crypto::X25519Key::from_private(r.raw_view(32));
        return o;
    }
    OwnSpk o{1, uint64_t(wall_ms() / 1000), crypto::X25519Key::generate()};
    save_spk(store, o);
    return o;
}

// keys numbered from first on, and the next id after them, committed.
void save_opks(LocalStore& store, uint32_t first, const std::vector<crypto::X25519Key>& keys) {
    for (size_t i = 0; i < keys.size(); ++i) store.put_secret(opk_name(first + uint32_t(i)), keys[i].priv);
    uint8_t b[4];
    put_u32be(b, first + uint32_t(keys.size()));
    store.put_secret(std::string(kNextName), ByteView(b, 4));
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
// committed before they are returned for upload.
std::vector<msg::PrekeyOpk> new_opks(LocalStore& store) {
    uint32_t next = 1;
    if (auto s = store.get_secret(std::string(kNextName)); s && s->size() == 4) next = get_u32be(s->data());
    auto keys = fresh_opks();
    save_opks(store, next, keys);
    return public_halves(next, keys);
}

}  // namespace

std::string opk_name(uint32_t id) { return fmt::format("prekey opk {}", id); }

std::optional<crypto::X25519Key> stored_spk(LocalStore& store, uint32_t id) {
    auto s = store.get_secret(std::string(kSpkName));
    if (!s || s->size() != 44 || get_u32be(s->data()) != id) return std::nullopt;
    return crypto::X25519Key::from_private(s->view().subspan(12, 32));
}

std::optional<crypto::X25519Key> stored_opk(LocalStore& store, uint32_t id) {
    auto s = store.get_secret(opk_name(id));
    if (!s || s->size() != 32) return std::nullopt;
    return crypto::X25519Key::from_private(*s);
}

FirstPrekeys FirstPrekeys::generate() {
    return FirstPrekeys{OwnSpk{1, uint64_t(wall_ms() / 1000), crypto::X25519Key::generate()}, fresh_opks()};
}

msg::PrekeySet FirstPrekeys::signed_by(const crypto::PkKey& sign, const std::string& user) const {
    return msg::PrekeySet{x3dh::sign_prekey(sign, user, spk.id, spk.created, spk.key.pub), public_halves(1, opks)};
}

void FirstPrekeys::commit(LocalStore& store) const {
    save_spk(store, spk);
    save_opks(store, 1, opks);
}

// One upload at a time, and only when logged in with a store: true when
// the caller now owns the upload (upload_prekeys sets it Idle again).
bool Client::Impl::claim_prekey_upload() {
    if (prekeys != Prekeys::Idle || !store || !self.token_) return false;
    prekeys = Prekeys::Uploading;
    return true;
}

void Client::Impl::start_prekey_upload() {
    if (claim_prekey_upload()) background(upload_prekeys(), "could not upload prekeys");
}

// After login, in the login's own turn of the lane (lane.hpp), so the
// prekeys are on the server when login returns. A failure is reported,
// never a failed login.
Task<void> Client::Impl::publish_prekeys() {
    if (!claim_prekey_upload()) co_return;
    std::string failed;
    try {
        auto uploading = upload_prekeys();
        auto r = co_await uploading;
        if (!r.ok) failed = r.msg;
    } catch (const std::exception& e) {
        failed = e.what();
    }
    if (!failed.empty()) info("could not upload prekeys: " + failed);
}

// Publishes the signed prekey; tops up the pool when the server holds
// fewer than proto::kPrekeyLowWater one-time prekeys.
Task<Result> Client::Impl::upload_prekeys() {
    struct Done {
        Prekeys& p;
        ~Done() { p = Prekeys::Idle; }
    } done{prekeys};
    auto own = own_spk(*store);
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
