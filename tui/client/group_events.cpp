// Membership changes as a group's window shows them (tacit-protocol(7),
// GROUPS; tacit(1)): one line per verified record, carrying its actor's
// signature, never the server's word. NOTIFY group-records and, at login,
// GROUP_LIST only make the client fetch the group's records.
#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "shared/names.hpp"
#include "tui/client/client_impl.hpp"

namespace tacit::client {

namespace {

// "EVENT ACTOR SUBJECT", the words a group line is made of (describe.cpp).
std::string record_text(const group::Record& r) {
    switch (r.kind) {
        case group::Kind::Create: return "created " + r.actor + " " + r.group;
        case group::Kind::Add: return "added " + r.actor + " " + r.subject;
        case group::Kind::Remove: return "removed " + r.actor + " " + r.subject;
        case group::Kind::Leave: return "left " + r.actor + " " + r.subject;
        case group::Kind::Dissolve: return "dissolved " + r.actor + " " + r.group;
        case group::Kind::Rekeyed: return "rekeyed " + r.actor + " " + r.subject;
    }
    return {};
}

}  // namespace

void Client::Impl::record_event(const group::Record& r) {
    ChatMessage cm;
    cm.id = fmt::format("rec-{}-{}", r.group, r.epoch);
    cm.group = r.group;
    cm.to = self.user_;
    cm.sent_at_ms = wall_ms();  // a record has no time of its own
    cm.body = record_text(r);
    cm.verified = true;  // the chain verified the actor's signature
    if (store->add({cm}, self.user_).empty()) return;  // shown before
    if (r.subject == self.user_) {
        const bool in = r.kind == group::Kind::Create || r.kind == group::Kind::Add;
        const bool out = r.kind == group::Kind::Remove || r.kind == group::Kind::Leave;
        if (in || out) store->set_group(r.group, in);
    }
    if (r.kind == group::Kind::Dissolve) store->set_group(r.group, false);
    Event e = ev::Group{r.group, cm.body, r.subject, cm};
    event(std::move(e));
}

// A joiner's chain holds the group's whole past; only its own add (and
// what came after it) is news to it.
void Client::Impl::joined_events(const group::Chain& c) {
    const auto& recs = c.records();
    size_t from = recs.size();
    for (size_t i = recs.size(); i-- > 0;)
        if (recs[i].subject == self.user_ && (recs[i].kind == group::Kind::Add || recs[i].kind == group::Kind::Create)) {
            from = i;
            break;
        }
    for (size_t i = from; i < recs.size(); ++i) record_event(recs[i]);
}

// NOTIFY group-records (tacit-protocol(7), NOTIFY AND PING): the chain of g
// moved on to epoch `head` (2^32-1: at least that). Unsigned, so it is only
// a reason to fetch; what is shown comes from the records.
void Client::Impl::group_noticed(const std::string& g, uint32_t head) {
    if (!name_problem(g).empty()) return info("ignored a NOTIFY naming an invalid group id");
    const auto* c = local_chain(g);
    if (c && head != UINT32_MAX && c->epoch() >= head) return;  // our own change, or seen
    background(sync_chain(g), "could not fetch the records of " + g);
}

// At login: a change made while we were away left no mailbox entry, so ask
// for our groups' heads (GROUP_LIST) and fetch what is newer than our
// chains. A group we hold a chain of but the server no longer lists is one
// we were removed from: the fetch brings the owner's signed remove record.
Task<void> Client::Impl::catch_up_groups() {
    msg::GroupList m;
    m.token = *self.token_;
    m.nonce = fresh_nonce();
    auto listing = ask<msg::GroupListR>(m, signed_by_me(), &msg::GroupListR::nonce);
    auto r = co_await listing;
    if (!r.ok()) {
        info("could not list your groups: " + r.res.msg);
        co_return;
    }
    std::set<std::string> listed;
    for (const auto& item : r.m->groups) {
        listed.insert(item.group);
        const auto* c = local_chain(item.group);
        if (c && c->epoch() >= item.head) continue;
        auto syncing = sync_chain(item.group);
        if (auto s = co_await syncing; !s.ok) info("could not fetch the records of " + item.group + ": " + s.msg);
    }
    for (const auto& g : store->groups()) {
        if (listed.count(g)) continue;
        auto syncing = sync_chain(g);
        auto s = co_await syncing;
        const auto still = store->groups();
        if (s.ok && !std::binary_search(still.begin(), still.end(), g)) continue;  // the records said so, signed
        gone_unsigned(g, s.ok ? "its records name no removal" : s.msg);
    }
}

// The server no longer lists us in g and shows no record why (a dissolved
// group, say): it can keep a group from us anyway, so we stop sending to it,
// and say that only the server says so (tacit(1)).
void Client::Impl::gone_unsigned(const std::string& g, const std::string& why) {
    store->set_group(g, false);
    ChatMessage cm;
    cm.id = fmt::format("gone-{}-{}", g, local_chain(g) ? local_chain(g)->epoch() : 0);
    cm.group = g;
    cm.to = self.user_;
    cm.sent_at_ms = wall_ms();
    cm.body = "gone " + self.user_ + " " + self.user_;  // EVENT ACTOR SUBJECT, as the records' lines
    cm.problem = "no user signature: only the server says so (" + why + ")";
    if (store->add({cm}, self.user_).empty()) return;
    Event e = ev::Group{g, cm.body, self.user_, cm};
    event(std::move(e));
}

}  // namespace tacit::client
