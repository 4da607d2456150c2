// Shared by the mailbox and group handlers: the checks signed requests
// start with, the shape of group replies, and the NOTIFY frames that follow
// a durable delivery.
#pragma once
#include <fmt/core.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/crypto.hpp"
#include "srv/handler.hpp"
#include "srv/store/operations.hpp"

namespace tacit::srv {

// srv/handlers/auth.cpp: the request's signature against the key the user
// logged in with.
bool verify_user_sig(Ctx& ctx, size_t signed_len, ByteView sig);

// Once a delivery is durable: NOTIFY mail with the mailbox count, to every
// session of each user.
void notify_deliveries(Presence& presence, const std::vector<store::Delivery>& ds);

// Once a membership change is durable: NOTIFY group-records (kind 4, count
// the head epoch, then the group; tacit-protocol(7), NOTIFY AND PING) to
// every session of the users it tells. Unsigned and per online session only:
// the records it points at carry the signatures.
void notify_group(Presence& presence, const store::Changed& c, const std::string& group);

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

// A membership change's reply, signed, once its write is final; on OK
// the members get NOTIFY group-records.
template <class R>
void answer_change(Ctx& ctx, const Nonce& n, const store::Changed& c, std::string text, const std::string& group) {
    R r;
    r.status = c.status;
    r.msg = std::move(text);
    r.nonce = n;
    ctx.reply(msg::encode_body(r), true);
    if (c.status == proto::OK) notify_group(ctx.presence(), c, group);
}

// The checks every signed, token-carrying request starts with: the token
// is this connection's and the signature is the logged-in user's. Returns
// OK or AUTH_FAILED with the reason in *why.
template <class D> uint8_t check_signed(Ctx& ctx, const D& d, std::string* why) {
    if (!ctx.token_ok(d.m.token)) return *why = "not your token", proto::AUTH_FAILED;
    if (!verify_user_sig(ctx, d.signed_len, d.sigs[0])) return *why = "bad signature", proto::AUTH_FAILED;
    return proto::OK;
}

// Takes one token from the actor's --group-change-rate bucket. A change
// costs one signature check and a record; the NOTIFY frames to online
// members grow with the group, which the cap on group size and this limit
// bound. false: answer RATE_LIMITED with kGroupChangeLimited.
bool group_change_allowed(Ctx& ctx);
inline constexpr const char* kGroupChangeLimited = "too many membership changes; try again in a minute";

// "invalid <what>: <reason>" when name breaks the name rules, else "".
std::string bad_name(std::string_view what, std::string_view name);

}  // namespace tacit::srv
