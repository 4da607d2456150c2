// The store as tacitd's handlers see it: whole operations, each atomic and
// each ending in a status (tacit-protocol(7), STORAGE). No caller runs code
// inside a transaction; the backend (srv/store/lmdb_backend.cpp, or a
// network one later) decides how an operation is applied.
//
// Every operation completes through its callback, called on the event loop
// and never from another thread. Callers must not assume when: the LMDB
// backend completes reads at once, inside the call, and writes at the end
// of the loop pass (finish_pass); a network backend may complete either
// later. So whatever follows an operation belongs in its callback.
//
// A write's status is final when its callback runs: OK means the write is
// durable. The writes of one pass become durable in one commit; a write
// whose commit failed completes with STORAGE_FULL and nothing of it stays.
// A refusal (USER_EXISTS, NOT_OWNER, a quota...) leaves nothing either:
// each write is all or nothing.
//
// A backend failure (a damaged record, an I/O error) may throw StoreError
// from the call itself; the callback then never runs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shared/bytes.hpp"
#include "shared/group_record.hpp"
#include "shared/messages_group.hpp"
#include "shared/messages_prekey.hpp"
#include "shared/x3dh.hpp"
#include "shared/protocol.hpp"
#include "srv/store/records.hpp"

namespace tacit::store {

template <class T> using Done = std::function<void(T)>;

// What every write reports.
struct Outcome {
    uint8_t status = proto::OK;
    std::string why;  // a refusal's sentence for the caller (a quota, a non-member), or ""
};

// A mailbox a write appended to, with its message count after the write.
struct Delivery {
    std::string user;
    uint64_t count = 0;
};

// Deliveries: the mailboxes written, for NOTIFY mail. Group changes write
// no mailbox: `told` are the users to send NOTIFY group-records (the
// members after the change and the one removed or leaving), `epoch` the
// group's head after it.
struct Changed : Outcome {
    std::vector<Delivery> deliveries;
    std::vector<std::string> told;
    uint64_t epoch = 0;
    bool dissolved = false;  // change_members: the owner left as the last member
};

// RENEW3: replaces the user's public key (and the password verifier, if
// the pass differs), only if the key version is still the one the caller
// logged in with, and deletes every stored session of the user in the same
// write, so no commit leaves a session that outlives the key.
struct KeyChange {
    std::string user;
    uint32_t expected_version = 0;
    Bytes pass;  // the client's 32-byte auth, never stored as such; the operation wipes it
    Bytes public_key;
};
struct KeyReplaced : Outcome {
    bool pw_changed = false, key_changed = false;
    std::vector<SessionHash> ended;  // the sessions deleted with the old key
};

// GROUP_ADD and GROUP_REMOVE (tacit-protocol(7)). Add: owner only, into a
// group below max_members. Remove: the owner removes anyone, a member
// removes itself (leaves); the owner removing itself dissolves the group,
// and only as its last member (BAD_REQUEST before). Each stores its
// record once for the group and nothing per member (tacit-protocol(7),
// GROUPS): the members fetch the records.
struct MemberChange {
    enum class Kind : uint8_t { Add, Remove };
    Kind kind = Kind::Add;
    std::string group, actor, subject;
    uint64_t at_ms = 0;
    size_t max_members = 0;  // Add only
    // Add only: asked at most once, when every check passed and the add
    // would happen; false refuses it with RATE_LIMITED. (The added user's
    // bucket is charged only for adds that would happen.)
    std::function<bool()> admit;
    // The actor's signed record of the change (tacit-protocol(7), GROUPS):
    // it must extend the stored chain (else STALE_EPOCH or BAD_REQUEST) and
    // is stored with the change, all or nothing. nullopt only in the
    // store's own tests of the membership rules; tacitd always passes one.
    std::optional<group::Record> record;
};

// GROUP_FETCH: up to max records of a member's group from epoch `from` on.
// A user who was removed or left (or dissolved the group) reads up to and
// including that record: head is then its epoch, so it learns of its
// removal from the owner's signature and sees nothing after.
struct RecordPage {
    uint8_t status = proto::OK;  // OK, NO_SUCH_GROUP, NOT_MEMBER, BAD_REQUEST (from past the head)
    uint64_t head = 0;
    std::vector<Bytes> records;
};

// A message to store. group empty: a direct message, exactly one part, to
// a registered user. Otherwise the sender and every target must be members
// of the group. All parts or none, under the mailbox caps and quotas.
struct Part {
    std::string target;
    Bytes enc_msg, wrapped_key;
};
struct Mail {
    std::string sender, group;
    uint64_t at_ms = 0;
    std::vector<Part> parts;
};

// GROUP_LIST: the member's groups (not dissolved) with their head epochs.
struct GroupHeads {
    std::vector<msg::GroupHeadItem> groups;  // sorted by id
};

struct GroupView {
    uint8_t status = proto::OK;  // OK, NO_SUCH_GROUP, NOT_MEMBER
    std::vector<msg::MemberKey> others;  // every member but the asker, with their keys
};

struct Page {
    std::vector<StoredMsg> messages;  // oldest first
    bool more = false;                // messages remain after the page
};

struct Acked : Outcome {
    size_t deleted = 0;  // of the ids, those that were still there
};

using StoredSession = std::pair<SessionHash, SessionRec>;

// PREKEY_UPLOAD (tacit-protocol(7), PREKEYS): the signed prekey replaces
// the user's, the one-time prekeys join the pool (an id already held is
// overwritten). TOO_LARGE, nothing stored, if the pool would pass max_pool.
// The caller has checked the signature against the user's key.
struct PrekeyUpload {
    std::string user;
    x3dh::SignedPrekey spk;
    std::vector<msg::PrekeyOpk> opks;
    size_t max_pool = 0;
};
struct PrekeysStored : Outcome {
    size_t pool = 0;  // one-time prekeys held after the write
};

// PREKEY_FETCH: the target's signed prekey and, if with_opk, the lowest
// one-time prekey, deleted in this same write so it is handed out once.
// NO_SUCH_USER; NO_PREKEYS when the target never uploaded.
struct PrekeysFetched : Outcome {
    x3dh::PrekeyBundle bundle;
    size_t left = 0;  // one-time prekeys still held after the write
};

class Operations {
public:
    virtual ~Operations() = default;

    // ---- writes
    // USER_EXISTS if the name is taken. The user's first prekeys, if any,
    // are stored in the same write, as upload_prekeys would (its refusals
    // refuse the registration too), so no commit holds the user without
    // them. tacitd always passes them; the store's own tests may not.
    virtual void register_user(std::string name, UserRec rec, std::optional<PrekeyUpload> prekeys,
                               Done<Outcome> done) = 0;
    // NO_SUCH_USER; AUTH_FAILED if the key version moved on.
    virtual void replace_key(KeyChange change, Done<KeyReplaced> done) = 0;
    // The owner becomes the first member. GROUP_EXISTS if the id was ever used, dissolved groups included.
    // `record` as in MemberChange (a create record by the owner).
    virtual void create_group(std::string group, std::string owner, uint64_t at_ms,
                              std::optional<group::Record> record, Done<Changed> done) = 0;
    virtual void change_members(MemberChange change, Done<Changed> done) = 0;
    virtual void deliver(Mail mail, Done<Changed> done) = 0;
    // Deletes those ids still in user's mailbox: acking twice is harmless.
    virtual void ack(std::string user, std::vector<uint64_t> ids, Done<Acked> done) = 0;
    virtual void put_session(SessionHash hash, SessionRec rec, Done<Outcome> done) = 0;
    // Absent hashes are no error.
    virtual void end_sessions(std::vector<SessionHash> hashes, Done<Outcome> done) = 0;
    virtual void upload_prekeys(PrekeyUpload up, Done<PrekeysStored> done) = 0;
    virtual void fetch_prekeys(std::string target, bool with_opk, Done<PrekeysFetched> done) = 0;

    // ---- reads. They see the writes made earlier in the same pass, so
    // what a reply built from them says must go out only once that pass is
    // durable (tacitd sends no reply before its pass's commit).
    virtual void get_user(std::string name, Done<std::optional<UserRec>> done) = 0;
    virtual void find_session(SessionHash hash, Done<std::optional<SessionRec>> done) = 0;
    virtual void list_sessions(Done<std::vector<StoredSession>> done) = 0;
    virtual void group_view(std::string group, std::string member, Done<GroupView> done) = 0;
    // A dissolved group's records stay readable to nobody (NO_SUCH_GROUP);
    // a user who never was a member gets NOT_MEMBER.
    virtual void group_records(std::string group, std::string member, uint64_t from, size_t max,
                               Done<RecordPage> done) = 0;
    virtual void group_list(std::string member, Done<GroupHeads> done) = 0;
    // At most max_msgs messages and max_bytes of UPDATE1_R items, but at
    // least one message if any wait.
    virtual void mailbox_page(std::string user, size_t max_msgs, size_t max_bytes, Done<Page> done) = 0;

    // The server secret behind decoy salts (tacit-protocol(7), LOGIN).
    virtual const Array<32>& decoy_secret() const = 0;

    // ---- the loop pass
    // Makes the writes made since the last call durable in one commit, then
    // completes them in the order they were made. Callbacks may start more
    // operations; those complete at a later call (busy() says so). false:
    // the commit failed, so reads of this pass may have seen writes that
    // are gone.
    virtual bool finish_pass() = 0;
    // Operations started but not completed.
    virtual bool busy() const = 0;
};

}  // namespace tacit::store
