// Groups: create, add, remove (one signed request each) and sending to
// every member (GROUP_MSG1 for the keys, then sealed parts in batches).
#include "tui/client/client_impl.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "shared/names.hpp"
#include "tui/client/e2e.hpp"

namespace tacit::client {

// Create, add and remove share one shape: request with the token and a
// nonce, signed reply with status, msg and the nonce echoed.
template <class Req, class Rep> Task<Result> Client::Impl::group_change(Req m, std::string g) {
    if (auto why = name_problem(g); !why.empty())
        co_return Result::fail(proto::BAD_REQUEST, "invalid group id: " + why);
    m.token = *self.token_;
    m.group = g;
    m.nonce = fresh_nonce();
    auto r = co_await ask<Rep>(m, signed_by_me(), &Rep::nonce);
    co_return r.res;
}

Task<Result> Client::Impl::group_simple(uint8_t type, std::string g, std::string user) {
    if (type == proto::GROUP_CREATE) {
        auto changing = group_change<msg::GroupCreate, msg::GroupCreateR>(msg::GroupCreate{}, g);
        auto r = co_await changing;
        if (r.ok) store->set_group(g, true);
        co_return r;
    }
    if (type == proto::GROUP_ADD) {
        msg::GroupAdd m{};
        m.user = user;
        auto changing = group_change<msg::GroupAdd, msg::GroupAddR>(std::move(m), g);
        co_return co_await changing;
    }
    msg::GroupRemove m{};
    m.user = user;
    auto changing = group_change<msg::GroupRemove, msg::GroupRemoveR>(std::move(m), g);
    auto r = co_await changing;
    if (r.ok && user == self.user_) store->set_group(g, false);
    co_return r;
}

Task<Result> Client::Impl::group_keys(std::string g, std::vector<msg::MemberKey>* out) {
    if (auto why = name_problem(g); !why.empty())
        co_return Result::fail(proto::BAD_REQUEST, "invalid group id: " + why);
    msg::GroupMsg1 m;
    m.token = *self.token_;
    m.group = g;
    m.nonce = fresh_nonce();
    auto r = co_await ask<msg::GroupMsg1R>(m, signed_by_me(), &msg::GroupMsg1R::nonce);
    if (!r.ok()) co_return r.res;
    *out = std::move(r.m->members);
    co_return r.res;
}

Task<Result> Client::Impl::group_send(std::string g, std::string body) {
    if (body.size() > proto::kMaxBody) co_return Result::fail(proto::TOO_LARGE, "message body is over 64 KiB");
    std::vector<msg::MemberKey> members;
    auto r = co_await group_keys(g, &members);
    if (!r.ok) co_return r;
    // Every key is checked before anything is sent: no part goes out to a
    // member whose key changed until the user accepts it.
    std::vector<std::pair<std::string, UserBundle>> targets;
    for (auto& mk : members) {
        Result err;
        auto b = checked_key(mk.user, mk.public_key, &err);
        if (!b) co_return err;
        targets.emplace_back(mk.user, *b);
    }
    auto msg_id = crypto::random_array<16>();
    auto now = wall_ms();
    ChatMessage record;
    record.id = to_hex(msg_id);
    record.from = self.user_;
    record.group = g;
    record.sent_at_ms = now;
    record.body = body;
    record.outgoing = record.verified = true;
    // One frame per ~768 KiB of parts; each frame is all or nothing.
    size_t i = 0;
    while (i < targets.size()) {
        msg::GroupMsg2Batch b;
        b.nonce = fresh_nonce();
        b.group = g;
        size_t bytes = 0;
        while (i < targets.size() && (b.parts.empty() || bytes < 768 * 1024)) {
            auto env = seal_envelope(*id, self.user_, targets[i].first, g, targets[i].second, body, msg_id, now);
            bytes += env.enc_msg.size() + env.wrapped_key.size() + 64;
            b.parts.push_back(msg::Part{targets[i].first, std::move(env.enc_msg), std::move(env.wrapped_key)});
            ++i;
        }
        auto rr = co_await ask<msg::GroupMsg2BatchR>(b, signed_by_me(), &msg::GroupMsg2BatchR::nonce);
        if (!rr.ok()) co_return rr.res;
    }
    store->add({record}, self.user_);
    auto res = Result::good(fmt::format("sent to {} member{}", targets.size(), targets.size() == 1 ? "" : "s"));
    res.id = record.id;
    co_return res;
}

Task<Result> Client::Impl::group_members(std::string g, std::vector<std::string>* members) {
    std::vector<msg::MemberKey> mk;
    auto r = co_await group_keys(g, &mk);
    if (!r.ok) co_return r;
    members->clear();
    members->push_back(self.user_);
    for (auto& m : mk) members->push_back(m.user);
    std::sort(members->begin(), members->end());
    co_return Result::good(fmt::format("{} member{}", members->size(), members->size() == 1 ? "" : "s"));
}

}  // namespace tacit::client
