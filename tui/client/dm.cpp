// Direct messages under X3DH and the Double Ratchet (tacit-protocol(7),
// DIRECT MESSAGES): setting a session up with PREKEY_FETCH, sealing on it,
// opening as X3DH's responder or on a held session, and the state they
// keep (tui/client/dm_sessions.hpp).
//
// Local store secrets besides "dm sessions PEER":
//   "dm first HEX"  an X3DH first_id accepted (a repeated one is refused)
//   "dm seen HEX"   the first 16 bytes of SHA-256(str "tacit v2 dm seen" |
//                   str sender | dh_pub[32] | u32 n): a message processed,
//                   dropped as a duplicate before any decryption
#include <fmt/core.h>

#include "shared/direct_message.hpp"
#include "shared/wire.hpp"
#include "tui/client/client_impl.hpp"
#include "tui/client/e2e.hpp"

namespace tacit::client {

namespace {

std::string first_name(const Array<32>& id) { return "dm first " + to_hex(id); }
uint64_t now_s() { return uint64_t(wall_ms() / 1000); }
const uint8_t kMark = 1;

}  // namespace

std::string dm_sessions_name(const std::string& peer) { return "dm sessions " + peer; }

std::string dm_seen_name(const std::string& sender, const ratchet::Header& h) {
    Writer w;
    w.str("tacit v2 dm seen").str(sender).raw(ratchet::duplicate_key(h));
    auto d = crypto::sha256(w.bytes());
    return "dm seen " + to_hex(ByteView(d.data(), 16));
}

DmSessions& Client::Impl::dm_sessions(const std::string& peer) {
    auto it = dm.find(peer);
    if (it == dm.end()) {
        DmSessions loaded;
        if (auto s = store->get_secret(dm_sessions_name(peer))) {
            if (auto d = DmSessions::decode(*s)) loaded = std::move(*d);
            else info("the ratchet sessions with " + peer + " are damaged; the next message starts anew");
        }
        it = dm.emplace(peer, std::move(loaded)).first;
    }
    return it->second;
}

void Client::Impl::dm_forget() {
    dm.clear();
    dm_pending.clear();
}

bool Client::Impl::dm_has(const std::string& name) {
    if (auto it = dm_pending.find(name); it != dm_pending.end()) return it->second.has_value();
    return store->get_secret(name).has_value();
}

Task<Result> Client::Impl::fetch_prekey_bundle(std::string user, x3dh::PrekeyBundle* out) {
    msg::PrekeyFetch m;
    m.token = *self.token_;
    m.target = user;
    m.nonce = fresh_nonce();
    auto r = co_await ask<msg::PrekeyFetchR>(m, signed_by_me(), &msg::PrekeyFetchR::nonce);
    if (!r.ok()) co_return r.res;
    auto b = x3dh::PrekeyBundle::decode(r.m->bundle);
    if (!b) co_return Result::fail(proto::BAD_REQUEST, "the server sent a malformed prekey bundle for " + user);
    *out = std::move(*b);
    co_return r.res;
}

Task<Result> Client::Impl::dm_ready(std::string to, UserBundle to_bundle) {
    const auto bid = bundles_id(id->bundle(), to_bundle);
    if (dm_sessions(to).current(bid)) co_return Result::good("");
    x3dh::PrekeyBundle pb;
    auto fetching = fetch_prekey_bundle(to, &pb);
    auto r = co_await fetching;
    if (!r.ok) co_return r;
    // initiate verifies spk_sig with the pinned RSA key (PREKEYS).
    auto init = x3dh::initiate(id->box, {self.user_, id->bundle()}, {to, to_bundle}, pb);
    if (!init)
        co_return Result::fail(proto::AUTH_FAILED, "the signed prekey of " + to + " does not verify with its pinned key");
    // A message that opened while the fetch was out may have set one up.
    auto& now = dm_sessions(to);
    if (!now.current(bid))
        now.add_front(DmSession{bid, x3dh::first_message_id(init->header), init->header,
                                ratchet::Session::initiator(init->sk, init->ad, init->spk_pub)});
    co_return Result::good("");
}

Task<std::optional<Bytes>> Client::Impl::dm_seal(std::string to, UserBundle to_bundle, msg::FormattedMessage fm,
                                                 Result* err) {
    auto readying = dm_ready(to, to_bundle);
    if (auto r = co_await readying; !r.ok) {
        *err = r;
        co_return std::nullopt;
    }
    auto& sessions = dm_sessions(to);
    auto& s = *sessions.current(bundles_id(id->bundle(), to_bundle));
    auto sealed = s.ratchet.encrypt(signed_formatted(*id, fm));
    if (!sealed) {
        *err = Result::fail(proto::INTERNAL, "the ratchet session with " + to + " cannot send");
        co_return std::nullopt;
    }
    dm::Wire w;
    w.init = s.pending_init;
    w.ratchet = std::move(*sealed);
    // Committed before the message leaves (tacit-protocol(7), Client state).
    store->put_secret(dm_sessions_name(to), sessions.encode());
    co_return w.encode();
}

std::optional<Secret> Client::Impl::dm_open(const msg::Stored& st, const dm::Wire& w, const UserBundle& sender,
                                            std::string* problem) {
    auto& sessions = dm_sessions(st.sender);
    const UserBundle mine = id->bundle();
    const auto bid = bundles_id(mine, sender);
    const uint64_t now = now_s();
    auto last = ratchet::DecryptStatus::AuthFailed;
    bool held = false;
    for (size_t i = 0; i < sessions.list.size(); ++i) {
        if (sessions.list[i].bundles != bid) continue;  // under another key of either side
        held = true;
        auto trial = sessions.list[i].ratchet;  // a copy: only a message that opens changes state
        auto d = trial.decrypt(w.ratchet, now);
        if (d.status != ratchet::DecryptStatus::Ok) {
            last = d.status;
            continue;
        }
        sessions.list[i].ratchet = std::move(trial);
        sessions.list[i].pending_init.reset();  // the peer has the session: no more X3DH header
        sessions.move_front(i);
        dm_pending[dm_sessions_name(st.sender)] = sessions.encode();
        return std::move(d.plaintext);
    }
    auto undecryptable = [&](std::string why) -> std::optional<Secret> {
        *problem = std::move(why);
        return std::nullopt;
    };
    if (!w.init) {
        if (!held) return undecryptable("no ratchet session with " + st.sender + " opens it");
        return undecryptable(fmt::format("does not decrypt: {}", ratchet::describe(last)));
    }
    const auto first = x3dh::first_message_id(*w.init);
    for (auto& s : sessions.list)
        if (s.bundles == bid && s.first_id == first) return undecryptable(fmt::format("does not decrypt: {}", ratchet::describe(last)));
    if (dm_has(first_name(first))) return undecryptable("a repeated first message: its X3DH keys were used before");
    auto spk = stored_spk(*store, w.init->spk_id);
    if (!spk) return undecryptable("it names a signed prekey this client does not hold");
    std::optional<crypto::X25519Key> opk;
    if (w.init->opk_id) {
        if (dm_has(opk_name(*w.init->opk_id))) opk = stored_opk(*store, *w.init->opk_id);
        if (!opk) return undecryptable("its one-time prekey was used already, or never existed");
    }
    auto resp = x3dh::respond(id->box, {self.user_, mine}, {st.sender, sender}, *w.init, *spk, opk ? &*opk : nullptr);
    if (!resp) {
        if (w.init->ik != sender.box_pub) return undecryptable("its identity key is not the pinned key of " + st.sender);
        return undecryptable("X3DH fails");
    }
    auto s = ratchet::Session::responder(resp->sk, resp->ad, *spk);
    auto d = s.decrypt(w.ratchet, now);
    if (d.status != ratchet::DecryptStatus::Ok)
        return undecryptable(fmt::format("does not decrypt: {}", ratchet::describe(d.status)));
    sessions.add_front(DmSession{bid, first, std::nullopt, std::move(s)});
    dm_pending[dm_sessions_name(st.sender)] = sessions.encode();
    dm_pending[first_name(first)] = Secret(ByteView(&kMark, 1));
    // The used one-time prekey goes in the same commit as its session.
    if (w.init->opk_id) dm_pending[opk_name(*w.init->opk_id)] = std::nullopt;
    return std::move(d.plaintext);
}

Result Client::Impl::probe_stored(const msg::Stored& st) {
    auto w = dm::Wire::decode(st.enc_msg);
    if (!w || !st.wrapped_key.empty()) return Result::fail(proto::BAD_REQUEST, "not a message under the ratchet");
    auto p = store->pinned(st.sender);
    std::optional<UserBundle> sender;
    if (p) sender = UserBundle::decode(*p);
    if (!sender) return Result::fail(proto::NO_SUCH_USER, "no key pinned for " + st.sender);
    auto kept = dm;
    auto kept_pending = dm_pending;
    std::string problem;
    auto pt = dm_open(st, *w, *sender, &problem);
    dm = std::move(kept);
    dm_pending = std::move(kept_pending);
    if (!pt) return Result::fail(proto::BAD_REQUEST, problem);
    auto o = parse_formatted(*pt, self.user_, st, &problem);
    if (!o) return Result::fail(proto::BAD_REQUEST, problem);
    return Result::good(std::string(o->fm.body.begin(), o->fm.body.end()));
}

}  // namespace tacit::client
