// Login, two steps, allowed before login only.
//   LOGIN1 (0x14): str user | nonce1 | sig -> LOGIN1_R (0x94): nonce2 | blob salt | sig
//   LOGIN2 (0x15): blob proof | sig -> LOGIN2_R (0x95): token | nonce1 | u8 status | str msg | sig
// proof = HMAC-SHA256(key = SHA-256(auth | salt), nonce2), compared in
// constant time. A failed login never says why: an unknown or malformed
// user, or a LOGIN1 whose signature fails, walks the same path with a decoy
// salt and a dummy key, and ends in the same AUTH_FAILED reply
// (tacit-protocol(7), LOGIN). Refusals that come before any signature is
// checked (rate limit, LOGIN2 without LOGIN1) are unsigned ERRORs: signing
// costs the server far more than such a frame costs its sender. Each
// step's signature is checked on the crypto pool, and the connection's
// later frames wait for the step's outcome (Ctx::verify_then): a LOGIN2
// right behind its LOGIN1 finds it done, and a frame behind a LOGIN2 that
// logs in is handled as logged in.
#include "shared/keys.hpp"
#include "shared/names.hpp"
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

namespace {

const char* kLoginFailed = "login failed: wrong user name, password or key";
const char* kNotStored = "the server cannot store a session now; try again later";
const char* kLimited = "too many login attempts; wait a minute";

// What a login step knows about a name. Known or not, finding it out costs
// the same: one store lookup, one bundle parse (the user's, or the dummy
// bundle's), and the decoy salt's HMAC. Only the caller's choice between
// the two results differs, after the signature is checked, so the decoy
// path's timing is the real one's (tacit-protocol(7), LOGIN).
struct Candidate {
    std::optional<store::UserRec> rec;  // nullopt: unknown or malformed name
    crypto::PkKey key;                  // the user's, or the dummy key
    Array<16> decoy_salt{};
    Candidate() = default;
    Candidate(Candidate&&) = default;
    Candidate& operator=(Candidate&&) = default;
    // Kept while the pool checks the signature, and dropped unused if the
    // connection goes meanwhile: the verifier dies wiped either way.
    ~Candidate() {
        if (rec) wipe(rec->verifier.data(), rec->verifier.size());
    }
};

// Checks the step's signature with the candidate's key on the crypto pool
// (Ctx::verify_then), then k(ctx, candidate, ok) on the loop. The key is
// parsed afresh for the check on either path, so the worker's part costs
// the same for a known name and a decoy, as the loop's part does.
void verify_step(Ctx& ctx, size_t signed_len, const Bytes& sig, Candidate c,
                 std::function<void(Ctx&, Candidate&, bool)> k) {
    auto held = std::make_shared<Candidate>(std::move(c));
    ctx.verify_then(
        held->key, ctx.sig_input(signed_len), sig,
        [held, k = std::move(k)](Ctx& ctx, bool ok) { k(ctx, *held, ok); }, Ctx::KeyCopy::Fresh);
}

// Continues with k once the name is looked up.
void look_up(Ctx& ctx, const std::string& user, std::function<void(Ctx&, Candidate)> k) {
    const bool well_formed = valid_name(user);
    // A malformed name is not a store key: it looks up a well-formed one
    // instead and drops what it finds, so it does the same lookup.
    std::string lookup = well_formed ? user : std::string("decoy");
    ctx.store().get_user(std::move(lookup), ctx.then<std::optional<store::UserRec>>(
                                                [user, well_formed, k](Ctx& ctx, std::optional<store::UserRec> rec) {
        Candidate c;
        c.rec = std::move(rec);
        if (!well_formed && c.rec) {
            wipe(c.rec->verifier.data(), c.rec->verifier.size());
            c.rec.reset();
        }
        const Bytes& bundle = c.rec ? c.rec->public_key : ctx.limits().dummy_user_bundle();
        auto key = user_bundle_key(bundle);
        if (!key) {
            // A stored key that no longer parses (say, an exponent other than
            // 65537 from before the parser refused them) logs no one in.
            c.rec.reset();
            key = user_bundle_key(ctx.limits().dummy_user_bundle());
        }
        c.key = std::move(*key);
        auto mac = crypto::hmac_sha256(ctx.store().decoy_secret(), concat({as_bytes("decoy"), as_bytes(user)}));
        std::copy(mac.begin(), mac.begin() + 16, c.decoy_salt.begin());
        k(ctx, std::move(c));
    }));
}

// LOGIN1_R, a decoy's or the user's, or RATE_LIMITED, once the signature
// is checked.
void answer_login1(Ctx& ctx, const std::string& user, const Nonce& nonce1, Candidate& c, bool sig_ok) {
    bool real = c.rec && sig_ok;
    // Only an attempt that could be the user's (their key signed it)
    // counts against the user, so no one else can lock an account out.
    if (real && !ctx.limits().admit(Limit::Login, "user:" + user)) {
        wipe(c.rec->verifier.data(), c.rec->verifier.size());
        return ctx.error(nonce1, proto::RATE_LIMITED, kLimited, false);
    }
    LoginPending lp;
    lp.user = user;
    lp.nonce1 = nonce1;
    crypto::random_bytes(lp.nonce2.data(), lp.nonce2.size());
    lp.decoy = !real;
    lp.salt = real ? c.rec->salt : c.decoy_salt;
    if (real) std::copy(c.rec->verifier.begin(), c.rec->verifier.end(), lp.verifier.a.begin());
    if (c.rec) wipe(c.rec->verifier.data(), c.rec->verifier.size());
    msg::Login1R r;
    r.nonce2 = lp.nonce2;
    r.salt.assign(lp.salt.begin(), lp.salt.end());
    ctx.conn.login = std::move(lp);
    // Signed on the decoy path as well: it must look like a real user's.
    // The address bucket above bounds how often that happens.
    ctx.reply(msg::encode_body(r), true);
}

}  // namespace

void handle_login1(Ctx& ctx) {
    auto d = msg::decode<msg::Login1>(ctx.req.plaintext);
    auto& m = d.m;
    const auto& host = ctx.conn.peer_key;  // address, IPv6 /64 or uid (srv/peer.hpp)
    // The address first: a caller over its own limit costs nothing more,
    // and charges no one else's bucket.
    if (!ctx.limits().admit(Limit::Login, "addr:" + host))
        return ctx.error(m.nonce1, proto::RATE_LIMITED, kLimited, false);
    const std::string user = m.user;
    const Nonce nonce1 = m.nonce1;
    look_up(ctx, user, [user, nonce1, len = d.signed_len, sig = d.sigs[0]](Ctx& ctx, Candidate found) {
        verify_step(ctx, len, sig, std::move(found), [user, nonce1](Ctx& ctx, Candidate& c, bool sig_ok) {
            answer_login1(ctx, user, nonce1, c, sig_ok);
        });
    });
}

namespace {

// LOGIN2_R once the signature is checked: AUTH_FAILED for every failure
// alike, or the session begun and its token sent once it is stored.
void answer_login2(Ctx& ctx, const std::shared_ptr<LoginPending>& lp, const Bytes& proof, Candidate& c,
                   bool sig_ok) {
    msg::Login2R r;
    r.status = proto::AUTH_FAILED;
    r.msg = kLoginFailed;
    r.nonce1 = lp->nonce1;
    if (c.rec) wipe(c.rec->verifier.data(), c.rec->verifier.size());
    auto expect = crypto::hmac_sha256(lp->verifier, lp->nonce2);
    bool proof_ok = ct_equal(expect, proof);
    wipe(expect.data(), expect.size());
    auto log = [lp](Ctx& ctx, uint8_t st) {
        fmt::print(stderr, "tacitd: conn={} peer={} login user={} status={}\n", ctx.conn.id, ctx.conn.peer,
                   loggable_name(lp->user), proto::status_name(st));
    };
    if (lp->decoy || !c.rec || !sig_ok || !proof_ok) {
        log(ctx, r.status);
        return ctx.reply(msg::encode_body(r), true);
    }
    if (ctx.conn.dead) return;  // gone meanwhile: nobody to log in
    // Attached at once, so what the client sends next is served; the
    // token goes out only once the session is stored, and if that
    // failed the session has ended and the caller is told so.
    auto token = std::make_shared<SecretArray<32>>();
    auto s = ctx.sessions().begin(lp->user, c.rec->key_version, std::move(c.key), &token->a,
                                   ctx.then<uint8_t>([r, lp, token, log](Ctx& ctx, uint8_t st) mutable {
        log(ctx, st);
        if (st == proto::OK) {
            r.status = proto::OK;
            r.msg = "welcome, " + lp->user;
            std::copy(token->a.begin(), token->a.end(), r.token.begin());
        } else {
            r.status = proto::STORAGE_FULL;
            r.msg = kNotStored;
        }
        auto body = msg::encode_body(r);
        wipe(r.token.data(), r.token.size());
        ctx.reply(std::move(body), true);
    }));
    ctx.sessions().attach(ctx.conn, s);
}

}  // namespace

void handle_login2(Ctx& ctx) {
    auto d = msg::decode<msg::Login2>(ctx.req.plaintext);
    std::optional<LoginPending> taken = std::move(ctx.conn.login);
    ctx.conn.login.reset();  // one proof per LOGIN1
    // Nothing was checked yet, so nothing is signed or verified for it.
    if (!taken) return ctx.error(Nonce{}, proto::BAD_REQUEST, "send LOGIN1 first", false);
    auto lp = std::make_shared<LoginPending>(std::move(*taken));
    // Read again: a RENEW3 between the steps may have replaced the key.
    look_up(ctx, lp->user, [lp, proof = d.m.proof, len = d.signed_len, sig = d.sigs[0]](Ctx& ctx, Candidate found) {
        verify_step(ctx, len, sig, std::move(found), [lp, proof](Ctx& ctx, Candidate& c, bool sig_ok) {
            answer_login2(ctx, lp, proof, c, sig_ok);
        });
    });
}

}  // namespace tacit::srv
