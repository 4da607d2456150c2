// The client's local store: history, pinned contact keys, groups and small
// secrets, in one LMDB environment per (server, user). Only its own files
// include lmdb.h: local_store.cpp (the operations), local_store_schema.cpp
// (opening, migrating), local_txn.hpp and local_store_impl.hpp.
//
// At rest (schema 3): a copied store without the key shows sizes only.
// Every value is sealed with AES-256-GCM under HKDF-SHA256(file_key, salt
// empty, "tacit v2 history"), a random 12-byte IV per record, AAD = db name
// | 0x00 | the record's LMDB key, so a value can't be moved to another key
// or another db. Every key that would hold a name is
// HMAC-SHA256(index key, db name | 0x00 | name): contacts, groups, secrets
// ("dm sessions PEER" too), settings, convs, and the ids index (name =
// sender | 0x00 | msg_id). history keys are HMAC(index key, "history" |
// 0x00 | conversation)[16] | be64 position, positions in arrival order;
// times, senders and ids are inside the sealed records. The values that
// must be listed (conversations, groups, settings) carry their names
// sealed. Left in the clear: the DB names, meta's check/schema/counter/
// index record names, the schema number and the insertion counter (how
// many messages were stored: a size), and which messages share a
// conversation (their common tag), with its length.
//
// The index key is 32 random bytes sealed in meta/index, not derived from
// file_key. Decided so: the password never reaches this class (file_key is
// the random store key that account.cpp wraps with the password, so a
// password change rewraps store.key and touches nothing here); rekey(), a
// change of file_key itself, then re-seals records but keeps every index,
// which it could not rebuild anyway (an HMAC can't be undone, and pinned
// keys and secrets are looked up by name, never listed). The cost: someone
// who once held an old file_key can still test guessed names against the
// index of a later copy; that person has read every name of that time.
//
// Upgrading from schema 0-2 rewrites every table into new pages and then
// overwrites LMDB's free pages (local_store_schema.cpp, scrub), so the old
// plaintext keys do not survive in the file either.
//
// Wrong key: the constructor checks file_key against a sealed check record
// and throws std::runtime_error, so a wrong password never gets as far as
// reading. A single record that fails authentication later (tampering,
// damage) is skipped by last()/search(), makes get_secret() return nullopt,
// but makes pinned() throw: a pin that can't be trusted must not look like
// "never pinned", which TOFU would silently replace.
//
// Several clients of one account on one machine may open the same store at
// once (LMDB is multi-process); every write is one durable transaction.
// Writes never fail for want of map space: MDB_MAP_FULL doubles the map and
// retries, MDB_MAP_RESIZED (another process grew it) adopts the new size.
// Other failures (a full disk) throw std::runtime_error with the reason.
// Within one process, keep one LocalStore per dir open at a time (LMDB: an
// environment must not be opened twice by one process).
//
// The layout has a schema version; opening a store of an older one migrates
// it in the opening transaction (local_store_impl.hpp lists the steps), and one
// of a newer version is refused rather than misread.
#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "shared/bytes.hpp"
#include "tui/client/events.hpp"

namespace tacit::client {

class LocalStore {
public:
    // Creates dir (and missing parents) with mode 0700. Throws
    // std::runtime_error on any failure, including a wrong file_key.
    // initial_map: the LMDB map to start with (0: 256 MiB); it doubles
    // whenever a write finds it full, so this only matters to tests.
    LocalStore(const std::string& dir, ByteView file_key, size_t initial_map = 0);
    ~LocalStore();
    LocalStore(LocalStore&&) noexcept;
    LocalStore& operator=(LocalStore&&) noexcept;
    LocalStore(const LocalStore&) = delete;
    LocalStore& operator=(const LocalStore&) = delete;

    // "#"+group for group messages, else the other party.
    static std::string conversation_of(const ChatMessage&, const std::string& me);

    // The layout version this store now has (after any migration on open).
    uint32_t schema_version();

    // The map's current size in bytes (grows on demand; also after another
    // process of the account grew it).
    size_t map_size();

    // ---- messages
    // Duplicates are by (sender, msg_id): one sender's id never hides
    // another's message. System entries have the sender "".
    bool seen(const std::string& sender, const std::string& msg_id);
    // Stores the messages not seen yet (dedupe by (from, id), also within msgs)
    // in one durable transaction; returns those, in input order. A message
    // whose id or conversation can't be a key (empty, over 255 bytes, or a
    // NUL in the conversation) is neither stored nor returned.
    std::vector<ChatMessage> add(const std::vector<ChatMessage>& msgs, const std::string& me);
    // The same, with secrets written (a value) or erased (nullopt) in the
    // same transaction: ratchet state advances exactly when the messages it
    // opened are stored (tui/client/dm_sessions.hpp).
    using SecretChanges = std::map<std::string, std::optional<Secret>>;
    std::vector<ChatMessage> add(const std::vector<ChatMessage>& msgs, const std::string& me,
                                 const SecretChanges& secrets);
    // The same, but only if every secret named in basis still holds the
    // value given there (nullopt: still absent); otherwise it writes nothing
    // and throws Conflict. Another terminal of the account advanced the
    // ratchet state these messages were opened with: the caller opens them
    // again on the new state rather than overwrite it (a ratchet written
    // back to an older state would reuse its message keys).
    struct Conflict : std::runtime_error {
        using std::runtime_error::runtime_error;
    };
    // How often a caller opens or seals again after a Conflict before it
    // gives up: each retry means another terminal committed in between, so
    // eight in a row is a writer that never pauses, not bad luck.
    static constexpr int kConflictAttempts = 8;
    std::vector<ChatMessage> add(const std::vector<ChatMessage>& msgs, const std::string& me,
                                 const SecretChanges& secrets, const SecretChanges& basis);
    // The last n of a conversation by (arrival, insertion), oldest first;
    // arrival is received_at, or sent_at where that is 0 (own messages).
    std::vector<ChatMessage> last(const std::string& conversation, size_t n);
    // Case-insensitive (ASCII letters only) substring of the body, across
    // all conversations; the newest max matches, oldest first. "" matches all.
    std::vector<ChatMessage> search(const std::string& text, size_t max = 200);
    // Most recent activity (latest arrival, then latest insertion) first.
    std::vector<std::string> conversations();

    // ---- pinned contact keys (TOFU): bundle bytes per user name
    std::optional<Bytes> pinned(const std::string& user);
    void pin(const std::string& user, ByteView bundle);

    // ---- groups I am in
    void set_group(const std::string& group, bool member);
    std::vector<std::string> groups();  // sorted

    // ---- small encrypted secrets (the session token is not one of them:
    // tacit(1) keeps it in memory only)
    void put_secret(const std::string& name, ByteView value);
    std::optional<Secret> get_secret(const std::string& name);
    void erase_secret(const std::string& name);
    // Secrets read and written inside one write transaction, which holds
    // LMDB's writer lock: every other process of the account waits, so a
    // read-modify-write (a ratchet step, a prekey id) never interleaves
    // with theirs. fn may run more than once (the map grew and the
    // transaction started over); it must leave its results only in
    // variables it assigns afresh each run. An exception from fn writes
    // nothing and is thrown on.
    class SecretTxn {
    public:
        virtual std::optional<Secret> get(const std::string& name) = 0;
        virtual void put(const std::string& name, ByteView value) = 0;
        virtual void erase(const std::string& name) = 0;

    protected:
        ~SecretTxn() = default;
    };
    void update_secrets(const std::function<void(SecretTxn&)>& fn);

    // ---- per-account settings (a conversation's notify level, ...): small
    // text values, sealed with their names like the rest (the LMDB key is an
    // HMAC). A value that fails authentication is left out.
    void put_setting(const std::string& name, std::string_view value);
    void erase_setting(const std::string& name);
    std::map<std::string, std::string> settings();

    // Re-seals everything under a new file_key in one transaction; the
    // index key (above) is kept, so no index is rebuilt. A password change
    // does not need this: account.cpp rewraps the store key instead.
    void rekey(ByteView new_file_key);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tacit::client
