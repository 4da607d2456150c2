// Group chain rules (stated in shared/group_chain.hpp).
#include "shared/group_chain.hpp"

#include <algorithm>
#include <set>

#include "shared/wire.hpp"

namespace tacit::group {

std::string_view describe(Reject r) {
    switch (r) {
        case Reject::Malformed: return "the record does not decode";
        case Reject::TooManyRecords: return "the chain has more records than a client keeps";
        case Reject::NotCreateFirst: return "the chain does not start with a create record";
        case Reject::SecondCreate: return "a create record after the first";
        case Reject::WrongGroup: return "the record is for another group";
        case Reject::Dissolved: return "the group was dissolved";
        case Reject::EpochRepeated: return "the epoch is not newer than the chain's (stale record)";
        case Reject::EpochSkipped: return "the epoch skips past the next one";
        case Reject::BadPrevHash: return "the previous-record hash is not the chain's head";
        case Reject::WrongSubject: return "the record's subject must be its actor";
        case Reject::NotOwner: return "only the owner may make this change";
        case Reject::ActorNotMember: return "the actor is not a member";
        case Reject::AlreadyMember: return "the user is already a member";
        case Reject::SubjectNotMember: return "the user is not a member";
        case Reject::OwnerCannotLeave: return "the owner cannot leave while others remain";
        case Reject::NotLastMember: return "the owner dissolves only as the last member";
        case Reject::GroupFull: return "the group has the most members allowed";
        case Reject::WrongOldKey: return "the rekeyed record names another old key than the chain's";
        case Reject::BadSignature: return "the actor's signature does not verify";
        case Reject::BadNewKeySignature: return "the new key's signature does not verify";
        case Reject::KeyUnknown: return "no published key is known for the member";
        case Reject::KeyMismatch: return "the member's key in the chain differs from the published one";
    }
    return "unknown reason";
}

std::string describe(const Rejection& r) {
    std::string s = "group record " + std::to_string(r.index) + " refused: " + std::string(describe(r.reason));
    if (!r.user.empty()) s += " (" + r.user + ")";
    return s;
}

KeyLookup lookup_in(std::map<std::string, Bytes, std::less<>> bundles) {
    return [bundles = std::move(bundles)](std::string_view user) -> std::optional<Hash> {
        auto it = bundles.find(user);
        if (it == bundles.end()) return std::nullopt;
        return key_hash(it->second);
    };
}

const Member* Chain::member(std::string_view user) const {
    auto it = std::find_if(members_.begin(), members_.end(), [user](const Member& m) { return m.user == user; });
    return it == members_.end() ? nullptr : &*it;
}

std::optional<Hash> Chain::head_at(uint64_t epoch) const {
    if (epoch >= records_.size()) return std::nullopt;
    return records_[epoch].hash();  // rule 2: a record's epoch is its index
}

bool Chain::member_at(std::string_view user, uint64_t epoch) const {
    bool in = false;
    for (const auto& r : records_) {
        if (r.epoch > epoch) break;
        if (r.subject == user) in = carries_bundle(r.kind);  // create, add, rekeyed: a member after it
    }
    return in;
}

namespace {

std::optional<Reject> published_key(const Policy& p, std::string_view user, const Hash& key) {
    auto want = p.published ? p.published(user) : std::nullopt;
    if (!want) return Reject::KeyUnknown;
    if (*want != key) return Reject::KeyMismatch;
    return std::nullopt;
}

bool actor_is_subject(const Record& r) { return r.actor == r.subject; }

}  // namespace

// Rules 1-4 and 6 for one record: no signature work.
std::optional<Reject> Chain::check_rules(const Record& r, const Policy& p, Published when) const {
    if (records_.empty()) {
        if (r.kind != Kind::Create) return Reject::NotCreateFirst;
        if (r.epoch != 0) return Reject::EpochSkipped;
        if (r.prev != Hash{}) return Reject::BadPrevHash;
        if (!actor_is_subject(r)) return Reject::WrongSubject;
        return std::nullopt;
    }
    if (r.group != group_) return Reject::WrongGroup;
    if (dissolved_) return Reject::Dissolved;
    if (r.epoch <= epoch()) return Reject::EpochRepeated;
    if (r.epoch != epoch() + 1) return Reject::EpochSkipped;
    if (r.prev != head_) return Reject::BadPrevHash;
    if (r.kind == Kind::Create) return Reject::SecondCreate;
    const bool by_owner = r.actor == owner_;
    if (!member(r.actor)) return Reject::ActorNotMember;
    switch (r.kind) {
        case Kind::Add:
            if (!by_owner) return Reject::NotOwner;
            if (member(r.subject)) return Reject::AlreadyMember;
            if (members_.size() >= p.max_members) return Reject::GroupFull;
            if (when == Published::SubjectOfAdd) return published_key(p, r.subject, key_hash(r.bundle));
            return std::nullopt;
        case Kind::Remove:
            if (!by_owner) return Reject::NotOwner;
            if (!member(r.subject)) return Reject::SubjectNotMember;
            if (r.subject == owner_) return Reject::OwnerCannotLeave;
            return std::nullopt;
        case Kind::Leave:
            if (!actor_is_subject(r)) return Reject::WrongSubject;
            if (by_owner) return Reject::OwnerCannotLeave;
            return std::nullopt;
        case Kind::Dissolve:
            if (!actor_is_subject(r)) return Reject::WrongSubject;
            if (!by_owner) return Reject::NotOwner;
            if (members_.size() != 1) return Reject::NotLastMember;
            return std::nullopt;
        case Kind::Rekeyed:
            if (!actor_is_subject(r)) return Reject::WrongSubject;
            if (r.old_key != member(r.actor)->key) return Reject::WrongOldKey;
            return std::nullopt;
        case Kind::Create: break;
    }
    return Reject::SecondCreate;
}

// Rule 5, after the cheap rules held.
std::optional<Reject> Chain::check_signatures(const Record& r) const {
    ByteView actor_key = records_.empty() ? ByteView(r.bundle) : ByteView(member(r.actor)->bundle);
    if (!verify_by_bundle(r, actor_key, r.sig)) return Reject::BadSignature;
    if (r.kind == Kind::Rekeyed && !verify_by_bundle(r, r.bundle, r.new_key_sig))
        return Reject::BadNewKeySignature;
    return std::nullopt;
}

std::optional<Reject> Chain::check(const Record& r, const Policy& p, Published when) const {
    if (records_.size() >= kMaxRecords) return Reject::TooManyRecords;
    if (auto why = check_rules(r, p, when)) return why;
    return check_signatures(r);
}

void Chain::apply(const Record& r) {
    switch (r.kind) {
        case Kind::Create:
            group_ = r.group;
            owner_ = r.actor;
            members_.push_back({r.subject, r.bundle, key_hash(r.bundle)});
            break;
        case Kind::Add: members_.push_back({r.subject, r.bundle, key_hash(r.bundle)}); break;
        case Kind::Remove:
        case Kind::Leave:
        case Kind::Dissolve:
            std::erase_if(members_, [&r](const Member& m) { return m.user == r.subject; });
            dissolved_ = r.kind == Kind::Dissolve;
            break;
        case Kind::Rekeyed: {
            auto it = std::find_if(members_.begin(), members_.end(),
                                   [&r](const Member& m) { return m.user == r.subject; });
            it->bundle = r.bundle;
            it->key = key_hash(r.bundle);
            break;
        }
    }
    head_ = r.hash();
    records_.push_back(r);
}

std::optional<Rejection> Chain::append_as(const Record& r, const Policy& p, Published when) {
    if (auto why = check(r, p, when)) return Rejection{*why, records_.size(), r.subject};
    apply(r);
    return std::nullopt;
}

std::optional<Rejection> Chain::append(const Record& r, const Policy& p) {
    return append_as(r, p, Published::SubjectOfAdd);
}

Built Chain::build(std::span<const Record> records, const Policy& p) {
    Chain c;
    if (records.empty()) return {std::nullopt, {Reject::NotCreateFirst, 0, {}}};
    for (const auto& r : records)
        if (auto why = c.append_as(r, p, Published::Later)) return {std::nullopt, *why};
    for (const auto& m : c.members_)
        if (auto why = published_key(p, m.user, m.key))
            return {std::nullopt, {*why, c.records_.size() - 1, m.user}};
    return {std::move(c), {}};
}

Bytes Chain::serialize() const {
    Writer w;
    w.u8(kStoredChainTag).u32(uint32_t(records_.size()));
    for (const auto& r : records_) w.blob(r.encode());
    return w.take();
}

Built Chain::deserialize(ByteView b, const Policy& p) {
    std::vector<Record> records;
    try {
        Reader rd(b);
        if (rd.u8() != kStoredChainTag) return {std::nullopt, {Reject::Malformed, 0, {}}};
        uint32_t n = rd.count(4);
        if (n > kMaxRecords) return {std::nullopt, {Reject::TooManyRecords, kMaxRecords, {}}};
        records.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
            auto r = Record::decode(rd.blob_view(kMaxRecord));
            if (!r) return {std::nullopt, {Reject::Malformed, i, {}}};
            records.push_back(std::move(*r));
        }
        rd.finish();
    } catch (const WireError&) {
        return {std::nullopt, {Reject::Malformed, records.size(), {}}};
    }
    return build(records, p);
}

MemberDiff diff_members(const Chain& chain, std::string_view self, const std::vector<msg::MemberKey>& server) {
    MemberDiff d;
    std::set<std::string, std::less<>> listed;
    for (const auto& s : server) {
        if (s.user == self || !listed.insert(s.user).second) continue;
        const Member* m = chain.member(s.user);
        if (!m)
            d.ghosts.push_back(s.user);
        else if (key_hash(s.public_key) != m->key)
            d.key_differs.push_back(s.user);
    }
    for (const auto& m : chain.members())
        if (m.user != self && !listed.contains(m.user)) d.omitted.push_back(m.user);
    return d;
}

}  // namespace tacit::group
