// Membership changes as a group's window shows them (tacit-protocol(7),
// GROUPS; tacit(1)): one line per verified record, carrying its actor's
// signature, never the server's word. A server-signed system entry only
// makes the client fetch the group's records; when that is refused (the
// user was removed, say) the entry is shown, marked as carrying no user
// signature.
#include <fmt/core.h>

#include <sstream>

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
    Event e{Event::Kind::Group, cm, r.group, cm.body, r.subject, {}, {}, 0};
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

Task<void> Client::Impl::system_entry(msg::Stored st, std::vector<ChatMessage>* out) {
    if (!name_problem(st.group).empty()) throw WireError(WireError::Invalid, "invalid group name");
    ChatMessage cm;
    cm.id = fmt::format("sys-{}", st.id);
    cm.group = st.group;
    cm.sent_at_ms = st.received_at_ms;
    cm.to = self.user_;
    bool server_signed = false;
    try {
        auto se = msg::SystemEntry::decode(st.enc_msg);
        auto in = msg::system_sig_input(self.user_, st.id, st.group, st.received_at_ms, se.text);
        server_signed = conn->server_key().verify(in, se.sig);
        cm.body = se.text;
    } catch (const WireError&) {
        cm.problem = "malformed system entry";
    }
    if (!server_signed || store->seen("", cm.id)) co_return;
    // The records say what happened, each signed by its actor.
    auto syncing = sync_chain(st.group);
    auto synced = co_await syncing;
    if (synced.ok) co_return;
    // Our own leave (or an earlier fetch) already showed it, signed.
    if (const auto* c = local_chain(st.group))
        for (const auto& r : c->records())
            if (record_text(r) == cm.body) co_return;
    cm.problem = "no user signature: only the server says so (" + synced.msg + ")";
    std::istringstream ss(cm.body);
    std::string ev, actor, subject;
    ss >> ev >> actor >> subject;
    // The server can keep a group from us anyway; it cannot add us to one.
    if ((ev == "removed" || ev == "left") && subject == self.user_) store->set_group(st.group, false);
    if (ev == "dissolved") store->set_group(st.group, false);
    Event e{Event::Kind::Group, cm, st.group, cm.body, subject, {}, {}, 0};
    event(std::move(e));
    out->push_back(std::move(cm));
}

}  // namespace tacit::client
