// REGISTER (0x10): str user | blob pass | blob public_key | nonce |
// u32 spk_id | u64 spk_created | spk_pub[32] | sig spk_sig | u16 n |
// n x (u32 opk_id | opk_pub[32]) | sig (by the key inside public_key)
// -> REGISTER_R (0x90): nonce | str msg | u8 status | sig. Allowed before
// login only. The server stores users(public_key, user, SHA-256(pass |
// salt), salt), "pass" being the client's HKDF output, never the password,
// and the user's first prekeys in the same write (tacit-protocol(7),
// REGISTER), so nobody sees the account before it is reachable by X3DH.
#include "shared/keys.hpp"
#include "shared/names.hpp"
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"
#include "srv/handlers/prekey_check.hpp"

namespace tacit::srv {

namespace {

// The signature verified: the account is stored, and REGISTER_R goes out
// once that is durable.
void store_user(Ctx& ctx, const Nonce& n, const std::string& user, const Secret& pass, const Bytes& public_key,
                store::PrekeyUpload prekeys) {
    store::UserRec rec;
    rec.public_key = public_key;
    crypto::random_bytes(rec.salt.data(), rec.salt.size());
    rec.verifier = crypto::sha256({pass.view(), rec.salt});
    rec.created_at_ms = ctx.wall_ms();
    rec.key_version = 1;
    ctx.store().register_user(user, std::move(rec), std::move(prekeys),
                              ctx.then<store::Outcome>([n, user](Ctx& ctx, store::Outcome o) {
        msg::RegisterR r;
        r.nonce = n;
        r.status = o.status;
        switch (r.status) {
        case proto::OK: r.msg = "registered " + user; break;
        case proto::USER_EXISTS: r.msg = "user name " + user + " is taken"; break;
        case proto::STORAGE_FULL: r.msg = "server storage is full; try later"; break;
        default: r.msg = o.why.empty() ? "registration failed" : o.why; break;
        }
        ctx.reply(msg::encode_body(r), true);
        fmt::print(stderr, "tacitd: conn={} register user={} status={}\n", ctx.conn.id, user,
                   proto::status_name(o.status));
    }));
    wipe(rec.verifier.data(), rec.verifier.size());  // an array's move is a copy
}

}  // namespace

void handle_register(Ctx& ctx) {
    auto d = msg::decode<msg::Register>(ctx.req.plaintext);
    auto& m = d.m;
    // Refusals before the signature verifies are unsigned ERRORs: the peer
    // has proved nothing yet, and a signature would cost the server more
    // than the request cost its sender (tacit-protocol(7), REGISTER).
    auto refuse = [&](uint8_t status, std::string msg) { ctx.error(m.nonce, status, std::move(msg), false); };
    if (auto why = name_problem(m.user); !why.empty()) return refuse(proto::BAD_REQUEST, "invalid user name: " + why);
    if (m.pass.size() != proto::kPassLen) return refuse(proto::BAD_REQUEST, "pass must be 32 bytes");
    // Charged before the key is parsed or anything verified.
    const auto& host = ctx.conn.peer_key;  // address, IPv6 /64 or uid (srv/peer.hpp)
    if (!ctx.limits().admit(Limit::Register, "reg:" + host))
        return refuse(proto::RATE_LIMITED, "too many registrations from your address; try later");
    auto bundle = UserBundle::decode(m.public_key);
    std::optional<crypto::PkKey> key;
    if (bundle) key = crypto::PkKey::parse_public_der(bundle->rsa_der);
    if (!key)
        return refuse(proto::BAD_REQUEST,
                      "public key is not a tacit user bundle (RSA-3072 with e = 65537, and an X25519 key)");
    if (auto p = prekey_problem(m.prekeys); p.status != proto::OK) return refuse(p.status, p.why);
    // The two RSA-PSS verifies, the costly part, are the pool's, the
    // request's first; the frames behind this one wait for the answer
    // (Ctx::verify_all_then, which counts the pair once against the
    // pre-login budget).
    std::vector<Ctx::SigCheck> checks;
    checks.push_back({ctx.sig_input(d.signed_len), d.sigs[0]});
    checks.push_back({prekey_sig_input(m.user, m.prekeys), m.prekeys.spk.sig});
    Secret pass(m.pass);
    wipe(m.pass.data(), m.pass.size());
    ctx.verify_all_then(
        *key, std::move(checks),
        [n = m.nonce, user = m.user, pass = std::move(pass), public_key = m.public_key,
         prekeys = std::make_shared<store::PrekeyUpload>(prekey_write(m.user, std::move(m.prekeys)))](
            Ctx& ctx, size_t failed) {
            if (failed == 0)
                return ctx.error(n, proto::AUTH_FAILED, "signature does not verify with the key inside", false);
            if (failed == 1)
                return ctx.error(n, proto::BAD_REQUEST,
                                 "signed prekey signature does not verify with the key inside", false);
            store_user(ctx, n, user, pass, public_key, std::move(*prekeys));
        },
        Ctx::KeyCopy::Fresh);
}

}  // namespace tacit::srv
