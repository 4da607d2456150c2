// Shared by the mailbox and group handlers: whether a write reached the
// disk, server-signed system entries for membership changes, and the NOTIFY
// frames that follow a committed delivery.
#pragma once
#include <fmt/core.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/crypto.hpp"
#include "srv/handler.hpp"
#include "srv/store/store.hpp"

namespace tacit::srv {

// srv/handlers/auth.cpp: the request's signature against the key the user
// logged in with.
bool verify_user_sig(Ctx& ctx, size_t signed_len, ByteView sig);

// Taken right after a Store::write returned OK. The pass commit can fail
// after a MAP_FULL recovery already made earlier writes of the same pass
// durable, so "committed" alone would call such a write lost; the store's
// generation numbers tell the two apart.
class WriteMark {
public:
    explicit WriteMark(store::Store& s) : s_(&s), gen_(s.generation()) {}
    bool durable(bool committed) const { return committed || s_->committed_generation() >= gen_; }

private:
    store::Store* s_;
    uint64_t gen_;
};

// A mailbox a write appended to, with its size once the write was done.
struct Delivery {
    std::string user;
    uint64_t count = 0;
    bool stored = true;  // false: a system entry skipped for a mailbox far past its cap
};

// System entries may pass the mailbox cap by this much, so one member's
// backlog can't block membership changes; past it they are skipped, so
// repeated add/remove can't grow a mailbox without bound.
constexpr uint64_t kSystemEntrySlack = 1000;

// Room asked of the store per system entry: more than one takes (text,
// group, a P-256 signature and the record's framing).
constexpr uint64_t kSystemEntryRoom = 512;

// Stores "text" as a STORED_SYSTEM entry for every recipient, each signed by
// the server over system_sig_input(recipient, id, group, at, text); the id
// is allocated first because the signature covers it. Appends one Delivery
// per recipient to out. Safe to re-run (Store::write may retry fn).
// STORAGE_FULL (nothing stored, the sentence in *why) when the entries
// would pass the actor's --sender-quota or eat into the store's reserve; the
// caller returns it so the whole change is undone.
[[nodiscard]] uint8_t store_system_entries(store::Txn& t, const crypto::PkKey& server_sign,
                                           const std::vector<std::string>& recipients, std::string_view group,
                                           uint64_t received_at_ms, std::string_view text,
                                           std::vector<Delivery>& out, std::string* why);

// After a durable commit: NOTIFY group (count 0) if group_event, then NOTIFY
// mail with the mailbox count, to every session of each user.
void notify_deliveries(Presence& presence, const std::vector<Delivery>& ds, bool group_event);

// Queues a signed R{status, msg, nonce} (the shape of every group reply)
// and logs the outcome.
template <class R>
void answer_status(Ctx& ctx, const char* op, const Nonce& n, uint8_t st, std::string text) {
    fmt::print(stderr, "tacitd: conn={} {} user={} status={}\n", ctx.conn.id, op, ctx.user(),
               proto::status_name(st));
    R r;
    r.status = st;
    r.msg = std::move(text);
    r.nonce = n;
    ctx.reply(msg::encode_body(r), true);
}

// The checks every signed, token-carrying request starts with: the token
// is this connection's and the signature is the logged-in user's. Returns
// OK or AUTH_FAILED with the reason in *why.
template <class D> uint8_t check_signed(Ctx& ctx, const D& d, std::string* why) {
    if (!ctx.token_ok(d.m.token)) return *why = "not your token", proto::AUTH_FAILED;
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0])) return *why = "bad signature", proto::AUTH_FAILED;
    return proto::OK;
}

// Takes one token from the actor's --group-change-rate bucket. Every
// membership change signs a system entry per member, so churn costs the
// server CPU in proportion to group size; the cap on group size and this
// limit bound it. false: answer RATE_LIMITED with kGroupChangeLimited.
bool group_change_allowed(Ctx& ctx);
inline constexpr const char* kGroupChangeLimited = "too many membership changes; try again in a minute";

// "invalid <what>: <reason>" when name breaks the name rules, else "".
std::string bad_name(std::string_view what, std::string_view name);

}  // namespace tacit::srv
