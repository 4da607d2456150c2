// Each group's verified membership chain (tacit-protocol(7), GROUPS): kept
// in the encrypted local store, extended from GROUP_FETCH, every record
// verified here (shared/group_chain.hpp). The member list a group message
// goes to comes from this chain, never from the server's GROUP_MSG1_R.
#include <fmt/core.h>

#include <limits>

#include "tui/client/client_impl.hpp"

namespace tacit::client {

namespace {
std::string chain_secret(const std::string& g) { return "group-chain:" + g; }
}  // namespace

// A member's key is the pinned one when there is a pin; otherwise the one
// the chain's own records name (vouched for by the owner's signature),
// which is then pinned. The server enforces the group size.
group::Policy Client::Impl::chain_policy(const std::vector<group::Record>& recs) {
    std::map<std::string, Bytes, std::less<>> named;
    for (const auto& r : recs)
        if (group::carries_bundle(r.kind)) named[r.subject] = r.bundle;
    group::Policy p;
    p.max_members = std::numeric_limits<size_t>::max();
    p.published = [this, named = std::move(named)](std::string_view user) -> std::optional<group::Hash> {
        if (auto pin = store->pinned(std::string(user))) return group::key_hash(*pin);
        if (auto it = named.find(user); it != named.end()) return group::key_hash(it->second);
        return std::nullopt;
    };
    return p;
}

void Client::Impl::save_chain(const group::Chain& c) {
    for (const auto& m : c.members()) {
        if (store->pinned(m.user)) continue;
        store->pin(m.user, m.bundle);
        info("pinned key of " + m.user + " from the chain of " + c.group() + ": " + fingerprint(m.bundle));
    }
    store->put_secret(chain_secret(c.group()), c.serialize());
    chains.insert_or_assign(c.group(), c);
}

const group::Chain* Client::Impl::local_chain(const std::string& g) {
    if (auto it = chains.find(g); it != chains.end()) return &it->second;
    auto s = store->get_secret(chain_secret(g));
    if (!s) return nullptr;
    // Re-verified on every load: the store is ours, but a chain is cheap
    // to check against a damaged or older record.
    auto b = group::Chain::deserialize(ByteView(s->data(), s->size()), chain_policy({}));
    if (!b.chain) {
        info("dropped the stored chain of " + g + ": " + group::describe(b.rejection));
        return nullptr;
    }
    return &chains.insert_or_assign(g, std::move(*b.chain)).first->second;
}

Task<Result> Client::Impl::sync_chain(std::string g) {
    const group::Chain* have = local_chain(g);
    uint64_t from = have ? have->epoch() + 1 : 0;
    std::vector<group::Record> got;
    for (;;) {
        msg::GroupFetch m;
        m.token = *self.token_;
        m.group = g;
        m.from = from;
        m.nonce = fresh_nonce();
        auto r = co_await ask<msg::GroupFetchR>(m, signed_by_me(), &msg::GroupFetchR::nonce);
        if (!r.ok()) co_return r.res;
        for (const auto& b : r.m->records) {
            auto rec = group::Record::decode(b);
            if (!rec) co_return Result::fail(proto::BAD_REQUEST, "the server sent a malformed record of " + g);
            got.push_back(std::move(*rec));
        }
        from += r.m->records.size();
        if (r.m->records.empty() || from > r.m->head) break;
    }
    have = local_chain(g);  // the fetch may have run alongside another
    if (!have) {
        auto b = group::Chain::build(got, chain_policy(got));
        if (!b.chain) co_return Result::fail(proto::BAD_REQUEST, "refused the chain of " + g + ": " +
                                                                     group::describe(b.rejection));
        save_chain(*b.chain);
        joined_events(*b.chain);
        co_return Result::good();
    }
    group::Chain next = *have;
    const uint64_t had = next.epoch();
    const auto policy = chain_policy(got);
    for (const auto& rec : got) {
        if (rec.epoch <= next.epoch()) continue;  // appended meanwhile
        if (auto rej = next.append(rec, policy))
            co_return Result::fail(proto::BAD_REQUEST, "refused a record of " + g + ": " + group::describe(*rej));
    }
    save_chain(next);
    for (uint64_t e = had + 1; e <= next.epoch(); ++e) {
        const auto& rec = next.records()[e];
        if (rec.kind == group::Kind::Rekeyed && rec.subject != self.user_) rekeyed_pin(rec);
        record_event(rec);
    }
    co_return Result::good();
}

msg::GroupStamp Client::Impl::stamp_of(const group::Chain& c) { return msg::GroupStamp{c.epoch(), c.head()}; }

// A group message is genuine only if its sender was a member at the epoch
// it names and its head is the one our verified chain has there
// (tacit-protocol(7), END-TO-END PAYLOAD). A stamp past our head means we
// are behind: fetch first, then judge. "" when the stamp holds.
Task<std::string> Client::Impl::stamp_problem(msg::FormattedMessage fm) {
    const std::string& g = fm.group;
    const auto epoch = fm.stamp.epoch;
    const group::Chain* c = local_chain(g);
    if (!c || epoch > c->epoch()) {
        auto synced = co_await sync_chain(g);
        if (!synced.ok) co_return "could not check it against the signed records of " + g + ": " + synced.msg;
        c = local_chain(g);
    }
    if (!c || epoch > c->epoch())
        co_return fmt::format("its group stamp names epoch {} of {}, past the signed records", epoch, g);
    const auto head = c->head_at(epoch);
    if (!head || !ct_equal(*head, fm.stamp.head))
        co_return fmt::format("its group stamp names another head at epoch {} than the signed records of {}",
                              epoch, g);
    if (!c->member_at(fm.sender, epoch))
        co_return fmt::format("{} was not a member of {} at epoch {} (signed records)", fm.sender, g, epoch);
    co_return std::string();
}

// A member's new key, vouched for by its old one in the chain (rule 5):
// the pin follows, with no key-change warning to accept.
void Client::Impl::rekeyed_pin(const group::Record& r) {
    store->pin(r.subject, r.bundle);
    key_changes.erase(r.subject);
    info("the key of " + r.subject + " changed to " + fingerprint(r.bundle) + ", signed by its old key in the records of " +
         r.group);
}

// After /rekey (tui/client/renewal.cpp): a rekeyed record on the group's
// head, signed by the old key and the new, sent as GROUP_ADD of oneself.
// Made anew on STALE_EPOCH, as any change is.
Task<Result> Client::Impl::rekey_group(std::string g, const UserIdentity& old) {
    Result r = Result::fail(proto::STALE_EPOCH, "the records of " + g + " kept changing");
    for (int attempt = 0; attempt < 3 && r.status == proto::STALE_EPOCH; ++attempt) {
        auto synced = co_await sync_chain(g);
        if (!synced.ok) co_return synced;
        const auto* c = local_chain(g);
        const auto* me = c ? c->member(self.user_) : nullptr;
        if (!me) co_return Result::good("not a member of " + g);
        group::Record rec;
        rec.kind = group::Kind::Rekeyed;
        rec.group = g;
        rec.actor = rec.subject = self.user_;
        rec.epoch = c->epoch() + 1;
        rec.prev = c->head();
        rec.old_key = me->key;
        rec.bundle = id->bundle().encode();
        rec = group::sign_record(std::move(rec), old.sign, &id->sign);
        msg::GroupAdd m{};
        m.user = self.user_;
        m.record = rec.encode();
        auto changing = group_change<msg::GroupAdd, msg::GroupAddR>(std::move(m), g);
        r = co_await changing;
        if (r.ok) applied(rec);
    }
    co_return r;
}

group::Record Client::Impl::make_record(group::Kind k, const std::string& g, const std::string& subject,
                                        Bytes bundle) {
    group::Record r;
    r.kind = k;
    r.group = g;
    r.actor = self.user_;
    r.subject = subject;
    r.bundle = std::move(bundle);
    // Without a chain (not a member) the record extends nothing; the
    // server refuses the request for what it is.
    if (auto it = chains.find(g); k != group::Kind::Create && it != chains.end()) {
        r.epoch = it->second.epoch() + 1;
        r.prev = it->second.head();
    } else if (k != group::Kind::Create) {
        r.epoch = 1;
    }
    return group::sign_record(std::move(r), id->sign);
}

// Our own accepted record, applied as any other (a failure only means the
// next sync starts over from the server's records).
void Client::Impl::applied(const group::Record& r) {
    if (r.kind == group::Kind::Create) {
        std::vector<group::Record> one{r};
        auto b = group::Chain::build(one, chain_policy(one));
        if (b.chain) save_chain(*b.chain);
        if (b.chain) record_event(r);
        return;
    }
    auto it = chains.find(r.group);
    if (it == chains.end()) return;
    group::Chain next = it->second;
    if (next.append(r, chain_policy({r}))) {
        chains.erase(it);
        return;
    }
    save_chain(next);
    record_event(r);
}

}  // namespace tacit::client
