// Groups: create, add, remove (one signed request each, carrying the
// actor's signed record) and sending to every member the verified chain
// names (group_chains.cpp; GROUP_MSG1 only to compare, then the pairwise
// fan-out of group_fanout.cpp).
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

Task<Result> Client::Impl::group_record_change(uint8_t type, std::string g, std::string user) {
    group::Record rec;
    if (type == proto::GROUP_CREATE) {
        rec = make_record(group::Kind::Create, g, self.user_, id->bundle().encode());
    } else {
        // A non-member gets no records; its request still goes out, so the
        // server's answer (NOT_OWNER, NO_SUCH_GROUP, ...) says why it fails.
        auto synced = co_await sync_chain(g);
        const bool outside = synced.status == proto::NOT_MEMBER || synced.status == proto::NO_SUCH_GROUP;
        if (!synced.ok && !outside) co_return synced;
        if (outside) chains.erase(g);
        if (type == proto::GROUP_ADD) {
            Result err;
            auto k = co_await fetch_key(user, &err);
            if (!k) co_return err;
            if (!checked_key(user, *k, &err)) co_return err;
            rec = make_record(group::Kind::Add, g, user, *k);
        } else {
            const auto* chain = local_chain(g);
            const auto kind = user != self.user_                  ? group::Kind::Remove
                              : chain && chain->owner() == user ? group::Kind::Dissolve
                                                                : group::Kind::Leave;
            rec = make_record(kind, g, user, {});
        }
    }
    Result r;
    if (type == proto::GROUP_CREATE) {
        msg::GroupCreate m{};
        m.record = rec.encode();
        auto changing = group_change<msg::GroupCreate, msg::GroupCreateR>(std::move(m), g);
        r = co_await changing;
    } else if (type == proto::GROUP_ADD) {
        msg::GroupAdd m{};
        m.user = user;
        m.record = rec.encode();
        auto changing = group_change<msg::GroupAdd, msg::GroupAddR>(std::move(m), g);
        r = co_await changing;
    } else {
        msg::GroupRemove m{};
        m.user = user;
        m.record = rec.encode();
        auto changing = group_change<msg::GroupRemove, msg::GroupRemoveR>(std::move(m), g);
        r = co_await changing;
    }
    if (r.ok) applied(rec);
    co_return r;
}

Task<Result> Client::Impl::group_simple(uint8_t type, std::string g, std::string user) {
    if (auto why = name_problem(g); !why.empty())
        co_return Result::fail(proto::BAD_REQUEST, "invalid group id: " + why);
    Result r;
    // A record made on an old head: another change came first (two owner
    // terminals at once). Fetch it and make the record again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto changing = group_record_change(type, g, user);
        r = co_await changing;
        if (r.status != proto::STALE_EPOCH) break;
    }
    if (r.ok && type == proto::GROUP_CREATE) store->set_group(g, true);
    if (r.ok && type == proto::GROUP_REMOVE && user == self.user_) store->set_group(g, false);
    co_return r;
}

void Client::Impl::group_warning(const std::string& g, std::string text) {
    Event e = ev::GroupWarning{g, std::move(text)};
    event(std::move(e));
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
    auto synced = co_await sync_chain(g);
    if (!synced.ok) co_return synced;
    std::vector<msg::MemberKey> members;
    auto r = co_await group_keys(g, &members);
    if (!r.ok) co_return r;
    // The chain decides who gets the message; the server's list only
    // reveals a server that adds, drops or re-keys members (tacit-protocol(7),
    // GROUPS). Nobody in the difference gets a part.
    const auto& chain = chains.at(g);
    const auto diff = group::diff_members(chain, self.user_, members);
    std::vector<std::string> skip;
    auto warn = [&](const std::vector<std::string>& users, const char* why) {
        if (users.empty()) return;
        std::string names;
        for (const auto& u : users) names += (names.empty() ? "" : ", ") + u;
        group_warning(g, fmt::format("{}: {}; nothing sent to them", why, names));
    };
    warn(diff.ghosts, "the server lists members that the group's signed records do not");
    warn(diff.omitted, "the server leaves out members of the group's signed records");
    warn(diff.key_differs, "the server lists other keys than the group's signed records for");
    skip.insert(skip.end(), diff.omitted.begin(), diff.omitted.end());
    skip.insert(skip.end(), diff.key_differs.begin(), diff.key_differs.end());
    // Every key is checked before anything is sent: no part goes out to a
    // member whose key changed until the user accepts it.
    Targets targets;
    for (const auto& mem : chain.members()) {
        if (mem.user == self.user_ || std::find(skip.begin(), skip.end(), mem.user) != skip.end()) continue;
        Result err;
        auto b = checked_key(mem.user, mem.bundle, &err);
        if (!b) co_return err;
        targets.emplace_back(mem.user, *b);
    }
    const size_t n_targets = targets.size();
    // Where our verified chain stands: recipients judge the message by it.
    auto fm = make_formatted(self.user_, "", g, body, crypto::random_array<16>(), wall_ms());
    fm.stamp = stamp_of(chain);
    size_t sent = 0;
    auto fanning = group_fan_out(fm, std::move(targets), &sent);
    if (auto fr = co_await fanning; !fr.ok) co_return fr;
    ChatMessage record = to_chat(fm);
    record.outgoing = record.verified = true;
    store->add({record}, self.user_);
    const size_t missed = skip.size() + (n_targets - sent);
    auto res = Result::good(fmt::format("sent to {} member{}{}", sent, sent == 1 ? "" : "s",
                                        missed == 0 ? "" : fmt::format(" (not to {}: see the warning)", missed)));
    res.id = record.id;
    co_return res;
}

// The members the group's verified chain names (not the server's list).
Task<Result> Client::Impl::group_members(std::string g, std::vector<std::string>* members, std::string* owner) {
    auto r = co_await sync_chain(g);
    if (!r.ok) co_return r;
    // A removed member reads the chain up to its removal (GROUP_FETCH);
    // that list is no longer its to show.
    if (!chains.at(g).member(self.user_))
        co_return Result::fail(proto::NOT_MEMBER, "you are not a member of " + g);
    members->clear();
    for (const auto& m : chains.at(g).members()) members->push_back(m.user);
    std::sort(members->begin(), members->end());
    if (owner) *owner = chains.at(g).owner();
    co_return Result::good(fmt::format("{} member{}", members->size(), members->size() == 1 ? "" : "s"));
}

}  // namespace tacit::client
