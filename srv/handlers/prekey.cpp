// Prekeys for X3DH (tacit-protocol(7), PREKEYS); logged in only.
//   PREKEY_UPLOAD (0x25): token | nonce | u32 spk_id | u64 spk_created |
//       spk_pub[32] | sig spk_sig | u16 n | n x (u32 id | pub[32]) | sig
//       -> PREKEY_UPLOAD_R (0xA5): u8 status | str msg | nonce | u32 pool | sig
//   PREKEY_FETCH (0x26): token | str target | nonce | sig
//       -> PREKEY_FETCH_R (0xA6): u8 status | str msg | nonce | blob bundle | sig
// The signed prekey must verify under the uploader's registered RSA key,
// so the server never hands out a prekey its owner did not sign (the
// fetcher checks again against its pinned key). A fetch takes one
// one-time prekey out of the pool in the same durable write that answers
// it; past --prekey-fetch-rate for a (requester, target) pair the bundle
// comes without one, so nobody can drain another user's pool.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "shared/names.hpp"
#include "srv/handlers/delivery.hpp"
#include "srv/handlers/prekey_check.hpp"

namespace tacit::srv {

namespace {

void answer_upload(Ctx& ctx, const Nonce& n, uint8_t st, std::string text, size_t pool) {
    fmt::print(stderr, "tacitd: conn={} prekey_upload user={} status={} pool={}\n", ctx.conn.id, ctx.user(),
               proto::status_name(st), pool);
    msg::PrekeyUploadR r;
    r.status = st;
    r.msg = std::move(text);
    r.nonce = n;
    r.pool = uint32_t(pool);
    ctx.reply(msg::encode_body(r), true);
}

}  // namespace

const char* const kBadPrekeySig = "signed prekey signature does not verify under your key";

PrekeyProblem prekey_problem(const msg::PrekeySet& set) {
    if (set.opks.size() > proto::kMaxPrekeysPerUpload)
        return {proto::TOO_LARGE,
                "at most " + std::to_string(proto::kMaxPrekeysPerUpload) + " one-time prekeys per upload"};
    if (!crypto::x25519_pub_valid(set.spk.pub)) return {proto::BAD_REQUEST, "signed prekey is not a usable X25519 key"};
    for (const auto& o : set.opks)
        if (!crypto::x25519_pub_valid(o.pub))
            return {proto::BAD_REQUEST, "one-time prekey " + std::to_string(o.id) + " is not usable"};
    if (set.spk.sig.size() != x3dh::kRsaSigLen) return {proto::BAD_REQUEST, kBadPrekeySig};
    return {};
}

Bytes prekey_sig_input(const std::string& user, const msg::PrekeySet& set) {
    return x3dh::signed_prekey_message(user, set.spk.id, set.spk.created, set.spk.pub);
}

store::PrekeyUpload prekey_write(const std::string& user, msg::PrekeySet set) {
    store::PrekeyUpload up;
    up.user = user;
    up.spk = std::move(set.spk);
    up.opks = std::move(set.opks);
    up.max_pool = proto::kMaxPrekeyPool;
    return up;
}

void handle_prekey_upload(Ctx& ctx) {
    auto d = msg::decode<msg::PrekeyUpload>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    if (std::string why; check_signed(ctx, d, &why) != proto::OK)
        return answer_upload(ctx, n, proto::AUTH_FAILED, why, 0);
    if (auto p = prekey_problem(m.prekeys); p.status != proto::OK) return answer_upload(ctx, n, p.status, p.why, 0);
    // The prekey's RSA-PSS verify is as costly as the request's, so it too
    // goes to the pool (x3dh::verify_prekey's input and key).
    auto in = prekey_sig_input(ctx.user(), m.prekeys);
    Bytes sig = m.prekeys.spk.sig;
    auto shared = std::make_shared<store::PrekeyUpload>(prekey_write(ctx.user(), std::move(m.prekeys)));
    ctx.verify_then(*ctx.conn.session->key, std::move(in), std::move(sig), [n, shared](Ctx& ctx, bool ok) {
        if (!ok) return answer_upload(ctx, n, proto::BAD_REQUEST, kBadPrekeySig, 0);
        ctx.store().upload_prekeys(std::move(*shared), ctx.then<store::PrekeysStored>([n](Ctx& ctx,
                                                                                        store::PrekeysStored r) {
            std::string text = r.status == proto::OK ? "prekeys stored" : r.why.empty() ? "prekeys not stored" : r.why;
            answer_upload(ctx, n, r.status, std::move(text), r.pool);
        }));
    });
}

void handle_prekey_fetch(Ctx& ctx) {
    auto d = msg::decode<msg::PrekeyFetch>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    const std::string user = ctx.user(), target = m.target;
    auto answer = [](Ctx& ctx, const Nonce& n, uint8_t st, std::string text, Bytes bundle,
                     const std::string& user, const std::string& target) {
        fmt::print(stderr, "tacitd: conn={} prekey_fetch user={} target={} status={}\n", ctx.conn.id, user,
                   loggable_name(target), proto::status_name(st));
        msg::PrekeyFetchR r;
        r.status = st;
        r.msg = std::move(text);
        r.nonce = n;
        r.bundle = std::move(bundle);
        ctx.reply(msg::encode_body(r), true);
    };
    if (std::string why; check_signed(ctx, d, &why) != proto::OK)
        return answer(ctx, n, proto::AUTH_FAILED, why, {}, user, "-");
    if (auto why = bad_name("user name", target); !why.empty())
        return answer(ctx, n, proto::BAD_REQUEST, why, {}, user, "-");
    // Over the limit the fetch still succeeds, without a one-time prekey:
    // X3DH runs without DH4 (tacit-protocol(7), PREKEYS).
    const bool with_opk = ctx.limits().admit(Limit::PrekeyFetch, user + " " + target);
    ctx.store().fetch_prekeys(target, with_opk, ctx.then<store::PrekeysFetched>([=](Ctx& ctx, store::PrekeysFetched r) {
        switch (r.status) {
        case proto::OK: break;
        case proto::NO_SUCH_USER: return answer(ctx, n, r.status, "no such user: " + target, {}, user, target);
        case proto::NO_PREKEYS:
            return answer(ctx, n, r.status, target + " has no prekeys on this server", {}, user, target);
        default: return answer(ctx, n, r.status, r.why.empty() ? "prekeys not fetched" : r.why, {}, user, target);
        }
        const bool took = r.bundle.opk.has_value();
        answer(ctx, n, proto::OK, took ? "bundle with a one-time prekey" : "bundle without a one-time prekey",
               r.bundle.encode(), user, target);
        if (took && r.left < proto::kPrekeyLowWater)
            ctx.presence().notify_user(target, proto::NOTIFY_PREKEYS_LOW, uint32_t(r.left));
    }));
}

}  // namespace tacit::srv
