// A group's verified membership chain (issue 14): what each client derives
// the member list from, and what the server checks before it stores a
// record. Pure: no I/O, no clock. Record layout and signature input:
// shared/group_record.hpp. Not yet on the wire (protocol v2).
//
// Chain rules. Records are applied in order; a record is accepted only if
// every rule holds, and a refused record leaves the chain as it was.
//   1. The first record is a create, epoch 0, prev_hash all zero, actor =
//      subject = the owner; its bundle is the owner's key. No later create.
//   2. Every later record names the chain's group, has epoch = head epoch + 1
//      (lower: repeated/stale; higher: skipped) and prev_hash = SHA-256 of the
//      head record's encoding.
//   3. Nothing follows a dissolve.
//   4. The actor is a member (the owner is one until the dissolve).
//      add: actor = owner; the subject is not a member; the group has fewer
//      than the caller's maximum of members. The subject joins with the
//      record's bundle as its key.
//      remove: actor = owner; the subject is a member other than the owner.
//      leave: actor = subject, a member other than the owner.
//      dissolve: actor = subject = owner, the only member left.
//      rekeyed: actor = subject; old_key = SHA-256 of the bundle the chain
//      names for it now; its key becomes the record's bundle.
//   5. actor_sig verifies under the key the chain names for the actor (for
//      create: the record's own bundle); a rekeyed record's new_key_sig
//      verifies under its new bundle.
//   6. Published keys: the caller supplies the fingerprint it trusts for a
//      user (pinned, or as the server publishes it). When an add is appended
//      the subject's record bundle must hash to it; when a chain is built
//      from records (a joiner, or a load from the local store) every member
//      at the head must. A key that changed after its owner left is no
//      concern of the group's; a pin older than a member's rekeyed record is
//      reported like any other mismatch (the client shows it as a key
//      change). An unknown user is refused too: the caller fetches first.
//      An appended rekeyed record is not held to the published key: the old
//      key's signature vouches for the new one, and the caller then updates
//      its pin from members().
// When several rules fail, the reason given is the first in this order:
// record count, group, dissolved, epoch, prev_hash, create, actor
// membership, the kind's rules, published key, signatures. Cheap rules come
// before signatures, so a forged record costs one RSA verification at most
// (two for rekeyed). The server appends with the bundles its store
// publishes and answers EpochRepeated and BadPrevHash as STALE_EPOCH.
//
// Stored chain (the client's encrypted local store; re-verified on load):
//   u8 6 | u32 count | count x blob record     (count <= kMaxRecords)
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "shared/group_record.hpp"
#include "shared/messages_group.hpp"

namespace tacit::group {

inline constexpr uint8_t kStoredChainTag = 6;
inline constexpr size_t kMaxRecords = 65536;

enum class Reject : uint8_t {
    Malformed,          // a record or stored chain that does not decode
    TooManyRecords,
    NotCreateFirst,     // the first record is not a create
    SecondCreate,
    WrongGroup,
    Dissolved,          // a record after the dissolve
    EpochRepeated,      // epoch at or below the head's: made on an older head
                        // (the server's STALE_EPOCH; the client fetches and retries)
    EpochSkipped,       // epoch above head + 1
    BadPrevHash,
    WrongSubject,       // create/leave/dissolve/rekeyed about someone else
    NotOwner,
    ActorNotMember,
    AlreadyMember,
    SubjectNotMember,
    OwnerCannotLeave,   // leave/remove of the owner while others remain
    NotLastMember,      // dissolve while others remain
    GroupFull,
    WrongOldKey,        // rekeyed names another key than the chain's
    BadSignature,
    BadNewKeySignature,
    KeyUnknown,         // no published/pinned key for a member
    KeyMismatch,        // the chain's key for a member is not the published one
};
std::string_view describe(Reject r);

struct Rejection {
    Reject reason = Reject::Malformed;
    uint64_t index = 0;  // which record (0 = the first given)
    std::string user;    // the member concerned, when there is one
};
// A sentence naming the record, the user and the reason.
std::string describe(const Rejection& r);

struct Member {
    std::string user;
    Bytes bundle;  // the UserBundle the chain names
    Hash key{};    // SHA-256(bundle)
};

// The fingerprint the caller trusts for a user, nullopt when it knows none.
using KeyLookup = std::function<std::optional<Hash>(std::string_view user)>;
// A lookup over user -> UserBundle (e.g. the client's pins), copied in.
KeyLookup lookup_in(std::map<std::string, Bytes, std::less<>> bundles);

struct Policy {
    size_t max_members = 0;  // the most members a group may have, owner included
    KeyLookup published;
};

class Chain;
struct Built;

class Chain {
public:
    // Verifies records from the create on (rules 1-6).
    static Built build(std::span<const Record> records, const Policy& policy);
    // Applies one more record; the chain is unchanged when it is refused.
    std::optional<Rejection> append(const Record& r, const Policy& policy);

    Bytes serialize() const;
    static Built deserialize(ByteView b, const Policy& policy);

    const std::string& group() const { return group_; }
    const std::string& owner() const { return owner_; }
    uint64_t epoch() const { return records_.size() - 1; }
    const Hash& head() const { return head_; }
    bool dissolved() const { return dissolved_; }
    const std::vector<Member>& members() const { return members_; }
    const Member* member(std::string_view user) const;
    // What a group stamp (tacit-protocol(7), END-TO-END PAYLOAD) is judged
    // by: the head after the record of `epoch` (nullopt past the head), and
    // whether `user` was a member then.
    std::optional<Hash> head_at(uint64_t epoch) const;
    bool member_at(std::string_view user, uint64_t epoch) const;
    const std::vector<Record>& records() const { return records_; }

private:
    Chain() = default;
    enum class Published { SubjectOfAdd, Later };
    std::optional<Reject> check(const Record& r, const Policy& p, Published when) const;
    std::optional<Reject> check_rules(const Record& r, const Policy& p, Published when) const;
    std::optional<Reject> check_signatures(const Record& r) const;
    void apply(const Record& r);
    std::optional<Rejection> append_as(const Record& r, const Policy& p, Published when);

    std::string group_;
    std::string owner_;
    Hash head_{};
    bool dissolved_ = false;
    std::vector<Member> members_;
    std::vector<Record> records_;
};

struct Built {
    std::optional<Chain> chain;
    Rejection rejection;  // meaningful when chain is empty
};

// The difference between the chain's members and the server's list of the
// other members (GROUP_MSG1_R): the client sends to no one in it.
struct MemberDiff {
    std::vector<std::string> ghosts;       // listed by the server, not in the chain
    std::vector<std::string> omitted;      // in the chain, left out by the server
    std::vector<std::string> key_differs;  // listed with another bundle than the chain's
    bool empty() const { return ghosts.empty() && omitted.empty() && key_differs.empty(); }
};
// `self` is the client's own user, which the server's list leaves out.
MemberDiff diff_members(const Chain& chain, std::string_view self,
                        const std::vector<msg::MemberKey>& server);

}  // namespace tacit::group
