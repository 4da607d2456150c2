// One group message over the pairwise ratchets (tacit-protocol(7), GROUP
// MESSAGES): a session with every target (PREKEY_FETCH and X3DH where there
// is none yet), one RSA signature over the message as a whole, the
// per-member sealing on the worker thread, every touched session's new
// state committed in one local-store transaction, and only then the
// GROUP_MSG2_BATCH frames. The whole send holds the lane (lane.hpp), so no
// fetch or other send of this client moves these sessions while the worker
// has copies; another terminal of the account may, and then the commit
// finds the sessions changed (LocalStore::Conflict) and the copies are
// sealed again on the new state, so no message key is used twice.
#include <fmt/core.h>

#include <functional>

#include "shared/direct_message.hpp"
#include "tui/client/client_impl.hpp"
#include "tui/client/e2e.hpp"

namespace tacit::client {

namespace {

// One member's copy, sealed on the worker from a copy of its session.
struct Copy {
    std::string to;
    Array<32> bundles{};
    std::optional<x3dh::InitHeader> init;
    ratchet::Session ratchet;
    Bytes enc_msg;  // empty: the session could not send
};

// On the worker thread: pure work on values it owns, and the identity's
// RSA key (mbedTLS is built with MBEDTLS_THREADING_C: shared/drbg.cpp).
std::vector<Copy> seal_copies(const UserIdentity& me, const msg::FormattedMessage& fm, std::vector<Copy> copies) {
    const Bytes sig = group_signature(me, fm);
    for (auto& c : copies) {
        auto one = fm;
        one.recipient = c.to;
        Bytes pt = one.encode(sig);
        auto sealed = c.ratchet.encrypt(pt);
        wipe(pt.data(), pt.size());
        if (!sealed) continue;
        dm::Wire w;
        w.init = c.init;
        w.ratchet = std::move(*sealed);
        c.enc_msg = w.encode();
    }
    return copies;
}

// Parts of about 768 KiB per frame; each frame is all or nothing.
constexpr size_t kBatchBytes = 768 * 1024;

// Each target's current session as the store holds it now, copied for the
// worker; what was read is the commit's basis.
using Decode = std::function<DmSessions(const std::string& peer, const std::optional<Secret>& stored)>;

std::vector<Copy> stored_copies(LocalStore& store, const Decode& decode, const UserBundle& mine,
                                const std::vector<std::pair<std::string, UserBundle>>& targets,
                                LocalStore::SecretChanges* basis) {
    std::vector<Copy> copies;
    for (auto& [to, bundle] : targets) {
        const auto name = dm_sessions_name(to);
        auto stored = store.get_secret(name);
        auto sessions = decode(to, stored);
        (*basis)[name] = std::move(stored);
        const auto bid = bundles_id(mine, bundle);
        if (const auto* s = sessions.current(bid)) copies.push_back(Copy{to, bid, s->pending_init, s->ratchet, {}});
    }
    return copies;
}

// The sessions the sealed copies advanced, on their basis.
LocalStore::SecretChanges advanced(const Decode& decode, std::vector<Copy>& copies,
                                   const LocalStore::SecretChanges& basis) {
    LocalStore::SecretChanges commit;
    for (auto& c : copies) {
        if (c.enc_msg.empty()) continue;
        const auto name = dm_sessions_name(c.to);
        auto sessions = decode(c.to, basis.at(name));
        sessions.current(c.bundles)->ratchet = std::move(c.ratchet);
        commit[name] = sessions.encode();
    }
    return commit;
}

}  // namespace

Task<Result> Client::Impl::group_fan_out(msg::FormattedMessage fm, Targets targets, size_t* sent) {
    const std::string g = fm.group;
    Targets ready;
    std::string no_session;
    for (auto& t : targets) {
        auto readying = dm_ready(t.first, t.second);
        auto r = co_await readying;
        if (r.ok) ready.push_back(std::move(t));
        else no_session += fmt::format("{}{} ({})", no_session.empty() ? "" : ", ", t.first, r.msg);
    }
    if (!no_session.empty())
        group_warning(g, "no ratchet session could be set up with " + no_session + "; nothing sent to them");
    const Decode decode = [this](const std::string& peer, const std::optional<Secret>& stored) {
        return dm_decode(peer, stored);
    };
    std::vector<Copy> copies;
    for (int attempt = 1;; ++attempt) {
        LocalStore::SecretChanges basis;
        auto job = worker.run([me = &*id, fm, c = stored_copies(*store, decode, id->bundle(), ready, &basis)]() mutable {
            return seal_copies(*me, fm, std::move(c));
        });
        copies = co_await job;
        // Every touched session in one transaction, before anything leaves: a
        // crash after it skips message numbers, it never reuses a message key.
        try {
            store->add({}, self.user_, advanced(decode, copies, basis), basis);
            break;
        } catch (const LocalStore::Conflict&) {
            if (attempt == LocalStore::kConflictAttempts) throw;
        }
    }
    for (auto& c : copies)
        if (c.enc_msg.empty()) group_warning(g, "the ratchet session with " + c.to + " cannot send; nothing sent to them");
    size_t i = 0;
    while (i < copies.size()) {
        msg::GroupMsg2Batch b;
        b.nonce = fresh_nonce();
        b.group = g;
        size_t bytes = 0;
        for (; i < copies.size() && (b.parts.empty() || bytes < kBatchBytes); ++i) {
            if (copies[i].enc_msg.empty()) continue;
            bytes += copies[i].enc_msg.size() + copies[i].to.size() + 16;
            b.parts.push_back(msg::Part{copies[i].to, std::move(copies[i].enc_msg), {}});
        }
        if (b.parts.empty()) break;
        auto rr = co_await ask<msg::GroupMsg2BatchR>(b, signed_by_me(), &msg::GroupMsg2BatchR::nonce);
        if (!rr.ok()) co_return rr.res;
        *sent += b.parts.size();
    }
    co_return Result::good("");
}

}  // namespace tacit::client
