// Signed group records (tacit-protocol(7), GROUPS) for tests that speak
// raw frames: each group's head as the server accepted it, so a test makes
// the record a change needs without a client core.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "shared/group_record.hpp"
#include "shared/keys.hpp"
#include "shared/protocol.hpp"

namespace tacit::test {

class GroupRecords {
public:
    // A record made on the group's accepted head (a create on none), signed
    // by `signer`; `bundle` for create and add records.
    Bytes make(group::Kind k, const std::string& g, const std::string& actor, const std::string& subject,
               const UserIdentity& signer, Bytes bundle = {}) {
        group::Record r;
        r.kind = k;
        r.group = g;
        r.actor = actor;
        r.subject = subject;
        r.bundle = std::move(bundle);
        if (auto it = heads_.find(g); it != heads_.end() && k != group::Kind::Create) {
            r.epoch = it->second.epoch + 1;
            r.prev = it->second.hash;
        } else if (k != group::Kind::Create) {
            r.epoch = 1;
        }
        last_ = group::sign_record(std::move(r), signer.sign);
        return last_->encode();
    }
    // The reply to the request that carried the last record made: OK moves
    // the group's head on.
    void settle(uint8_t status) {
        if (last_ && status == proto::OK) heads_[last_->group] = Head{last_->epoch, last_->hash()};
        last_.reset();
    }

private:
    struct Head {
        uint64_t epoch = 0;
        group::Hash hash{};
    };
    std::map<std::string, Head> heads_;
    std::optional<group::Record> last_;
};

}  // namespace tacit::test
