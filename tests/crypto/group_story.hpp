// Builds signed group chains for the unit tests ([group-chain]) and for
// tacit-vectors, whose records tests/crypto/crosscheck.py checks: users with
// real RSA-3072 keys, and a Story that links each new record to the last.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "shared/group_chain.hpp"
#include "shared/keys.hpp"
#include "tests/crypto/fixed_keys.hpp"

namespace tacit::test {

struct GroupUser {
    std::string name;
    crypto::PkKey sign;
    Bytes bundle;  // encoded UserBundle
};

inline GroupUser make_group_user(const std::string& name, const std::string& key_label) {
    GroupUser u{name, crypto::PkKey::generate_rsa3072(), {}};
    u.bundle = UserBundle{u.sign.public_der(), fixed_key(key_label).pub}.encode();
    return u;
}

// Records of one group in order; each next() links to the last pushed one.
struct Story {
    std::string group = "ops";
    std::vector<group::Record> records;

    // An unsigned record of the right epoch and prev_hash.
    group::Record draft(group::Kind k, const GroupUser& actor, const std::string& subject) const {
        group::Record r;
        r.kind = k;
        r.group = group;
        r.actor = actor.name;
        r.subject = subject;
        r.epoch = records.size();
        if (!records.empty()) r.prev = records.back().hash();
        return r;
    }
    // A signed record about `subject`, carrying its bundle when the kind does.
    group::Record next(group::Kind k, const GroupUser& actor, const GroupUser& subject) const {
        auto r = draft(k, actor, subject.name);
        if (group::carries_bundle(k)) r.bundle = subject.bundle;
        return group::sign_record(std::move(r), actor.sign);
    }
    // `from` rekeyed to `to` (the same name with another key).
    group::Record rekey(const GroupUser& from, const GroupUser& to) const {
        auto r = draft(group::Kind::Rekeyed, from, from.name);
        r.old_key = group::key_hash(from.bundle);
        r.bundle = to.bundle;
        return group::sign_record(std::move(r), from.sign, &to.sign);
    }
    Story& push(group::Record r) {
        records.push_back(std::move(r));
        return *this;
    }
    Story& push(group::Kind k, const GroupUser& actor, const GroupUser& subject) {
        return push(next(k, actor, subject));
    }
};

// The published bundles of `users` as a chain's lookup.
inline group::KeyLookup published(std::initializer_list<const GroupUser*> users) {
    std::map<std::string, Bytes, std::less<>> m;
    for (const auto* u : users) m[u->name] = u->bundle;
    return group::lookup_in(std::move(m));
}

}  // namespace tacit::test
