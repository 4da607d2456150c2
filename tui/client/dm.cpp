// Direct messages under X3DH and the Double Ratchet (tacit-protocol(7),
// DIRECT MESSAGES): setting a session up with PREKEY_FETCH, sealing on it,
// opening as X3DH's responder or on a held session, and the state they
// keep (tui/client/dm_sessions.hpp).
//
// Local store secrets besides "dm sessions PEER":
//   "dm first HEX"  u32 spk_id: an X3DH first_id accepted without a
//                   one-time prekey, under that signed prekey (a repeated
//                   one is refused). One with a one-time prekey needs no
//                   marker: the prekey is erased in the commit that
//                   stores its session, and a repeat then names a
//                   prekey that is gone. So these grow only with the
//                   sessions set up without one, and can go with their
//                   signed prekey when it is replaced.
//   "dm seen HEX"   the first 16 bytes of SHA-256(str "tacit v2 dm seen" |
//                   str sender | dh_pub[32] | u32 n): a message processed,
//                   dropped as a duplicate before any decryption; pruned
//                   by "dm seen log SENDER" (dm_seen.hpp, which says why
//                   that keeps replays refused)
#include <fmt/core.h>

#include "shared/direct_message.hpp"
#include "shared/wire.hpp"
#include "tui/client/client_impl.hpp"
#include "tui/client/e2e.hpp"
#include "tui/client/retired_identity.hpp"

namespace tacit::client {

namespace {

std::string first_name(const Array<32>& id) { return "dm first " + to_hex(id); }
const uint8_t kMark = 1;

// cache[key], read from the store's secret `name` on first use in a page:
// empty if there is none, or if it does not decode (then damaged runs).
// What was read is the page's basis (Client::Impl::dm_basis).
template <class T, class F>
T& cached(std::map<std::string, T>& cache, const std::string& key, LocalStore& store, const std::string& name,
          LocalStore::SecretChanges& basis, F damaged) {
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    T loaded;
    auto s = store.get_secret(name);
    if (s) {
        if (auto d = T::decode(*s)) loaded = std::move(*d);
        else damaged();
    }
    basis.try_emplace(name, std::move(s));
    return cache.emplace(key, std::move(loaded)).first->second;
}

}  // namespace

std::string dm_sessions_name(const std::string& peer) { return "dm sessions " + peer; }

Array<16> dm_seen_id(const std::string& sender, const ratchet::Header& h) {
    Writer w;
    w.str("tacit v2 dm seen").str(sender).raw(ratchet::duplicate_key(h));
    auto d = crypto::sha256(w.bytes());
    Array<16> id;
    std::copy(d.begin(), d.begin() + 16, id.begin());
    return id;
}

std::string dm_seen_name(const Array<16>& id) { return "dm seen " + to_hex(id); }

std::string dm_seen_log_name(const std::string& sender) { return "dm seen log " + sender; }

SeenLog& Client::Impl::dm_seen_log(const std::string& sender) {
    // A damaged log loses only the pruning of the markers it named.
    return cached(seen_logs, sender, *store, dm_seen_log_name(sender), dm_basis, [] {});
}

void Client::Impl::dm_mark_seen(const std::string& sender, const Array<16>& id, uint64_t at_ms) {
    auto& log = dm_seen_log(sender);
    for (const auto& old : log.add(id, at_ms)) dm_pending[dm_seen_name(old)] = std::nullopt;
    dm_pending[dm_seen_name(id)] = Secret(ByteView(&kMark, 1));
    dm_pending[dm_seen_log_name(sender)] = Secret(log.encode());
}

// The sessions with peer as stored (s: the stored value, if any).
DmSessions Client::Impl::dm_decode(const std::string& peer, const std::optional<Secret>& s) {
    if (!s) return {};
    if (auto d = DmSessions::decode(*s)) return std::move(*d);
    info("the ratchet sessions with " + peer + " are damaged; the next message starts anew");
    return {};
}

DmSessions& Client::Impl::dm_sessions(const std::string& peer) {
    return cached(dm, peer, *store, dm_sessions_name(peer), dm_basis, [&] {
        info("the ratchet sessions with " + peer + " are damaged; the next message starts anew");
    });
}

void Client::Impl::dm_forget() {
    dm.clear();
    seen_logs.clear();
    dm_pending.clear();
    dm_basis.clear();
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

// A session with `to` under the current keys of both, in the store: set
// up with PREKEY_FETCH and X3DH if there is none. The fetch happens outside
// any store transaction; a session another terminal of the account set up
// meanwhile wins over the one this would add.
Task<Result> Client::Impl::dm_ready(std::string to, UserBundle to_bundle) {
    const auto bid = bundles_id(id->bundle(), to_bundle);
    const auto name = dm_sessions_name(to);
    if (dm_decode(to, store->get_secret(name)).current(bid)) co_return Result::good("");
    std::optional<x3dh::Initiated> init;
    auto initiating = x3dh_initiate(to, to_bundle, &init);
    if (auto r = co_await initiating; !r.ok) co_return r;
    store->update_secrets([&](LocalStore::SecretTxn& t) {
        auto sessions = dm_decode(to, t.get(name));
        if (sessions.current(bid)) return;
        sessions.add_front(DmSession{bid, x3dh::first_message_id(init->header), init->header,
                                     ratchet::Session::initiator(init->sk, init->ad, init->spk_pub)});
        t.put(name, sessions.encode());
    });
    co_return Result::good("");
}

// Sealing steps the stored sessions inside one store transaction
// (LocalStore::update_secrets): another terminal of the account sending to
// the same peer at once waits for it, and then steps the state this one
// wrote, so no two messages ever share a ratchet key. A page being fetched
// started from the state before this step: its commit finds the change
// (dm_basis) and opens the page again.
Task<std::optional<Bytes>> Client::Impl::dm_seal(std::string to, UserBundle to_bundle, msg::FormattedMessage fm,
                                                 Result* err) {
    const auto bid = bundles_id(id->bundle(), to_bundle);
    const auto name = dm_sessions_name(to);
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto readying = dm_ready(to, to_bundle);
        if (auto r = co_await readying; !r.ok) {
            *err = r;
            co_return std::nullopt;
        }
        enum class Step { NoSession, Broken, Sealed } step = Step::NoSession;
        Bytes wire;
        store->update_secrets([&](LocalStore::SecretTxn& t) {
            step = Step::NoSession;
            auto sessions = dm_decode(to, t.get(name));
            auto* s = sessions.current(bid);
            if (!s) return;  // another terminal's session went meanwhile
            auto sealed = s->ratchet.encrypt(signed_formatted(*id, fm));
            if (!sealed) {
                step = Step::Broken;
                return;
            }
            dm::Wire w;
            w.init = s->pending_init;
            w.ratchet = std::move(*sealed);
            // Committed before the message leaves (tacit-protocol(7), Client state).
            t.put(name, sessions.encode());
            wire = w.encode();
            step = Step::Sealed;
        });
        if (step == Step::Sealed) co_return wire;
        if (step == Step::Broken) break;
    }
    *err = Result::fail(proto::INTERNAL, "the ratchet session with " + to + " cannot send");
    co_return std::nullopt;
}

// PREKEY_FETCH and X3DH's initiator half, checked against the pinned key.
Task<Result> Client::Impl::x3dh_initiate(std::string to, UserBundle to_bundle,
                                         std::optional<x3dh::Initiated>* out) {
    x3dh::PrekeyBundle pb;
    auto fetching = fetch_prekey_bundle(to, &pb);
    auto r = co_await fetching;
    if (!r.ok) co_return r;
    // initiate verifies spk_sig with the pinned RSA key (PREKEYS).
    *out = x3dh::initiate(id->box, {self.user_, id->bundle()}, {to, to_bundle}, pb);
    if (!*out)
        co_return Result::fail(proto::AUTH_FAILED, "the signed prekey of " + to + " does not verify with its pinned key");
    co_return r;
}

// Opens under the current identity, else under one /rekey replaced
// (retired_identity.hpp): mail sent before the peer learned of the change.
// The problem told is the current identity's.
std::optional<Secret> Client::Impl::dm_open(const msg::Stored& st, const dm::Wire& w, const UserBundle& sender,
                                            std::string* problem) {
    if (auto pt = dm_open_as(st, w, sender, id->box, id->bundle(), problem)) return pt;
    for (auto& old : retired_identities(*store)) {
        std::string ignored;
        if (auto pt = dm_open_as(st, w, sender, old.box, old.bundle, &ignored)) return pt;
    }
    return std::nullopt;
}

std::optional<Secret> Client::Impl::dm_open_as(const msg::Stored& st, const dm::Wire& w, const UserBundle& sender,
                                               const crypto::X25519Key& own_box, const UserBundle& mine,
                                               std::string* problem) {
    auto& sessions = dm_sessions(st.sender);
    const auto bid = bundles_id(mine, sender);
    const uint64_t now = wall_s();  // the client's one wall clock (Options::wall_clock)
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
    auto resp = x3dh::respond(own_box, {self.user_, mine}, {st.sender, sender}, *w.init, *spk, opk ? &*opk : nullptr);
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
    // The used one-time prekey goes in the same commit as its session,
    // and refuses a repeat in place of a marker.
    if (w.init->opk_id) {
        dm_pending[opk_name(*w.init->opk_id)] = std::nullopt;
    } else {
        uint8_t spk_id[4];
        put_u32be(spk_id, w.init->spk_id);
        dm_pending[first_name(first)] = Secret(ByteView(spk_id, 4));
    }
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
    auto kept_basis = dm_basis;
    std::string problem;
    auto pt = dm_open(st, *w, *sender, &problem);
    dm = std::move(kept);
    dm_pending = std::move(kept_pending);
    dm_basis = std::move(kept_basis);
    if (!pt) return Result::fail(proto::BAD_REQUEST, problem);
    auto o = parse_formatted(*pt, self.user_, st, &problem);
    if (!o) return Result::fail(proto::BAD_REQUEST, problem);
    return Result::good(std::string(o->fm.body.begin(), o->fm.body.end()));
}

}  // namespace tacit::client
