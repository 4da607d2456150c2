#include "srv/store/chain_check.hpp"

#include <optional>

#include "shared/bytes.hpp"
#include "shared/protocol.hpp"

namespace tacit::store {

namespace {

uint8_t refuse(std::string* why, std::string text) {
    *why = std::move(text);
    return proto::BAD_REQUEST;
}

// The epoch and previous hash the record must carry to extend `head`.
uint8_t check_link(const std::optional<GroupHead>& head, const group::Record& r, std::string* why) {
    if (r.kind == group::Kind::Create) {
        if (head) return refuse(why, "the group already has records");
        if (r.epoch != 0 || r.prev != group::Hash{}) return refuse(why, "a create record has epoch 0 and no previous hash");
        return proto::OK;
    }
    if (!head) return refuse(why, "group " + r.group + " has no signed records (made before protocol v2)");
    if (r.epoch > head->epoch + 1) return refuse(why, "the record skips an epoch");
    if (r.epoch <= head->epoch || !ct_equal(r.prev, head->hash)) {
        *why = "group " + r.group + " changed (epoch " + std::to_string(head->epoch) + "); fetch its records and retry";
        return proto::STALE_EPOCH;
    }
    return proto::OK;
}

// The bundle the chain names for `user` now: that of the last create, add
// or rekeyed record about it, searched from the head down. A rekeyed
// record's actor_sig is by this key, which the server no longer publishes
// once RENEW3 replaced it.
std::optional<Bytes> chain_key(Txn& t, const std::string& group, const std::string& user, uint64_t head) {
    for (uint64_t e = head + 1; e-- > 0;) {
        auto b = t.group_record(group, e);
        if (!b) return std::nullopt;
        auto r = group::Record::decode(*b);
        if (r && r->subject == user && group::carries_bundle(r->kind)) return std::move(r->bundle);
    }
    return std::nullopt;
}

}  // namespace

uint8_t extend_chain(Txn& t, const group::Record& r, group::Kind want, std::string* why) {
    if (r.kind != want)
        return refuse(why, "the change needs a " + std::string(group::kind_name(want)) + " record, not " +
                               std::string(group::kind_name(r.kind)));
    const auto head = t.group_head(r.group);
    if (auto st = check_link(head, r, why); st != proto::OK) return st;
    auto actor = t.get_user(r.actor);
    if (!actor) return refuse(why, "no such user: " + r.actor);
    wipe(actor->verifier.data(), actor->verifier.size());
    // The bundle an add or create names must be the one this server
    // publishes for its subject: members pin it from the chain.
    if (group::carries_bundle(r.kind)) {
        auto subject = r.subject == r.actor ? actor : t.get_user(r.subject);
        if (!subject) return refuse(why, "no such user: " + r.subject);
        wipe(subject->verifier.data(), subject->verifier.size());
        if (subject->public_key != r.bundle) return refuse(why, "the record names another key for " + r.subject);
    }
    if (r.kind == group::Kind::Rekeyed) {
        // Signed by the key the chain names (the old one) and by the new,
        // published one: two verifications, after the cheap checks.
        auto old = chain_key(t, r.group, r.actor, head->epoch);
        if (!old || !ct_equal(group::key_hash(*old), r.old_key))
            return refuse(why, "the rekeyed record names another old key than the chain's for " + r.actor);
        if (!group::verify_by_bundle(r, *old, r.sig))
            return refuse(why, "the record's signature does not verify under the old key of " + r.actor);
        if (!group::verify_by_bundle(r, r.bundle, r.new_key_sig))
            return refuse(why, "the record's second signature does not verify under the new key of " + r.actor);
    } else if (!group::verify_by_bundle(r, actor->public_key, r.sig)) {
        return refuse(why, "the record's signature does not verify under the key of " + r.actor);
    }
    const Bytes enc = r.encode();
    t.append_record(r.group, r.epoch, enc, r.hash());
    return proto::OK;
}

}  // namespace tacit::store
