// store::Operations over LMDB: each write runs as one Store::write (a child
// of the pass transaction, re-run from the start after a MAP_FULL, so the
// bodies below keep no state across runs but what they reset first); its
// callback waits for finish_pass, which commits the pass and tells each
// write whether it is durable by the store's generation numbers.
#include "srv/store/lmdb_backend.hpp"

#include <fmt/core.h>
#include <lmdb.h>

#include <algorithm>
#include <exception>

#include "shared/crypto.hpp"
#include "shared/messages_payload.hpp"
#include "srv/store/chain_check.hpp"
#include "srv/store/store.hpp"

namespace tacit::store {

namespace {

// Room asked of the store per membership change: its record (at most
// 4096 bytes, tacit-protocol(7) GROUPS) and the head, once per group.
constexpr uint64_t kRecordRoom = 8192;

// How far below the head GROUP_FETCH looks for the record that removed a
// non-member (its departure): each step is one read and one parse, no
// signature check, so a removed user's fetches stay cheap.
constexpr uint64_t kDepartureScan = 256;

constexpr const char* kFull = "server storage is full; try later";

class LmdbOperations final : public Operations {
public:
    explicit LmdbOperations(const Options& o) : store_(o) {}

    void register_user(std::string name, UserRec rec, std::optional<PrekeyUpload> prekeys,
                       Done<Outcome> done) override {
        run(std::move(done), [&](Txn& t, Outcome& r) -> uint8_t {
            if (t.get_user(name)) return proto::USER_EXISTS;
            t.put_user(name, rec);
            PrekeysStored stored;
            const uint8_t st = prekeys ? prekeys_in(t, *prekeys, stored) : uint8_t(proto::OK);
            r.why = std::move(stored.why);
            return st;  // not OK: the write is undone, the user with it
        });
        wipe(rec.verifier.data(), rec.verifier.size());
    }

    void replace_key(KeyChange c, Done<KeyReplaced> done) override {
        run(std::move(done), [&](Txn& t, KeyReplaced& r) { return replace_key_in(t, c, r); });
        wipe(c.pass.data(), c.pass.size());
    }

    void create_group(std::string group, std::string owner, uint64_t at_ms, std::optional<group::Record> record,
                      Done<Changed> done) override {
        run(std::move(done), [&](Txn& t, Changed& r) -> uint8_t {
            if (t.get_group(group)) return proto::GROUP_EXISTS;
            if (auto st = chain_in(t, record, group::Kind::Create, r); st != proto::OK) return st;
            t.put_group(group, GroupRec{owner, at_ms, false});
            t.add_member(group, owner);
            return told(t, {owner}, group, r);
        });
    }

    void change_members(MemberChange c, Done<Changed> done) override {
        bool admitted = false;  // the admit hook is asked once, even if the write re-runs
        run(std::move(done), [&](Txn& t, Changed& r) {
            return c.kind == MemberChange::Kind::Add ? add_in(t, c, admitted, r) : remove_in(t, c, r);
        });
    }

    void deliver(Mail m, Done<Changed> done) override {
        run(std::move(done), [&](Txn& t, Changed& r) { return deliver_in(t, m, r); });
    }

    void ack(std::string user, std::vector<uint64_t> ids, Done<Acked> done) override {
        if (ids.empty()) return later(Acked{}, std::move(done));  // an empty page needs no write
        run(std::move(done), [&](Txn& t, Acked& r) -> uint8_t {
            r.deleted = t.delete_mail(user, ids);
            return proto::OK;
        });
    }

    void put_session(SessionHash hash, SessionRec rec, Done<Outcome> done) override {
        run(std::move(done), [&](Txn& t, Outcome&) -> uint8_t {
            t.put_session(hash, rec);
            return proto::OK;
        });
    }

    void end_sessions(std::vector<SessionHash> hashes, Done<Outcome> done) override {
        if (hashes.empty()) return later(Outcome{}, std::move(done));
        run(std::move(done), [&](Txn& t, Outcome&) -> uint8_t {
            for (auto& h : hashes) t.delete_session(h);
            return proto::OK;
        });
    }

    void upload_prekeys(PrekeyUpload up, Done<PrekeysStored> done) override {
        run(std::move(done), [&](Txn& t, PrekeysStored& r) { return prekeys_in(t, up, r); });
    }

    void fetch_prekeys(std::string target, bool with_opk, Done<PrekeysFetched> done) override {
        run(std::move(done), [&](Txn& t, PrekeysFetched& r) -> uint8_t {
            if (!t.get_user(target)) return proto::NO_SUCH_USER;
            auto spk = t.get_spk(target);
            if (!spk) return proto::NO_PREKEYS;
            r.bundle.spk = std::move(*spk);
            if (with_opk) r.bundle.opk = t.take_opk(target);
            r.left = t.opk_count(target);
            return proto::OK;
        });
    }

    void get_user(std::string name, Done<std::optional<UserRec>> done) override {
        done(store_.read([&](Txn& t) { return t.get_user(name); }));
    }

    void find_session(SessionHash hash, Done<std::optional<SessionRec>> done) override {
        done(store_.read([&](Txn& t) { return t.get_session(hash); }));
    }

    void list_sessions(Done<std::vector<StoredSession>> done) override {
        done(store_.read([](Txn& t) { return t.all_sessions(); }));
    }

    void group_view(std::string group, std::string member, Done<GroupView> done) override {
        done(store_.read([&](Txn& t) {
            GroupView v;
            auto g = t.get_group(group);
            if (!g || g->dissolved) return v.status = proto::NO_SUCH_GROUP, v;
            if (!t.is_member(group, member)) return v.status = proto::NOT_MEMBER, v;
            for (auto& u : t.members(group)) {
                if (u == member) continue;
                // Users are never deleted; a member without a record is
                // skipped rather than listed without a key.
                auto rec = t.get_user(u);
                if (!rec) continue;
                wipe(rec->verifier.data(), rec->verifier.size());
                v.others.push_back(msg::MemberKey{u, std::move(rec->public_key)});
            }
            return v;
        }));
    }

    void group_records(std::string group, std::string member, uint64_t from, size_t max,
                       Done<RecordPage> done) override {
        done(store_.read([&](Txn& t) {
            RecordPage p;
            auto g = t.get_group(group);
            if (!g || g->dissolved) return p.status = proto::NO_SUCH_GROUP, p;
            auto head = t.group_head(group);
            if (!head) return p.status = proto::NO_SUCH_GROUP, p;
            p.head = head->epoch;
            if (!t.is_member(group, member)) {
                auto gone = departure(t, group, member, head->epoch);
                if (!gone) return p.status = proto::NOT_MEMBER, p;
                p.head = *gone;
            }
            if (from > p.head + 1) return p.status = proto::BAD_REQUEST, p;
            for (uint64_t e = from; e <= p.head && p.records.size() < max; ++e) {
                auto rec = t.group_record(group, e);
                if (!rec) throw StoreError("group record missing below the head", MDB_CORRUPTED);
                p.records.push_back(std::move(*rec));
            }
            return p;
        }));
    }

    void group_list(std::string member, Done<GroupHeads> done) override {
        done(store_.read([&](Txn& t) {
            GroupHeads h;
            for (auto& g : t.groups_of(member)) {
                auto rec = t.get_group(g);
                auto head = t.group_head(g);
                // Groups from before protocol v2 have no chain to catch up on.
                if (!rec || rec->dissolved || !head) continue;
                h.groups.push_back(msg::GroupHeadItem{std::move(g), head->epoch});
            }
            return h;
        }));
    }

    void mailbox_page(std::string user, size_t max_msgs, size_t max_bytes, Done<Page> done) override {
        done(store_.read([&](Txn& t) {
            Page p;
            p.messages = t.mailbox_page(user, max_msgs, max_bytes, &p.more);
            return p;
        }));
    }

    const Array<32>& decoy_secret() const override { return store_.decoy_secret(); }

    bool finish_pass() override {
        const bool committed = !store_.dirty() || store_.commit_pass();
        auto due = std::move(pending_);
        pending_.clear();
        for (auto& p : due) {
            // A commit that failed after a MAP_FULL recovery had already
            // made earlier writes of the pass durable loses only the rest.
            const bool durable = committed || store_.committed_generation() >= p.gen;
            try {
                p.complete(durable);
            } catch (const std::exception& e) {
                // One caller's continuation must not keep the others' from running.
                fmt::print(stderr, "tacitd: store completion failed: {}\n", std::string_view(e.what()).substr(0, 200));
            }
        }
        return committed;
    }

    bool busy() const override { return !pending_.empty() || store_.dirty(); }

private:
    struct Pending {
        uint64_t gen;
        std::function<void(bool durable)> complete;
    };

    // Runs body(t, r) as one Store::write, from a fresh R each time it
    // runs, and queues done for finish_pass. A refusal keeps only its
    // status and sentence: nothing else of it happened.
    template <class R, class F> void run(Done<R> done, F&& body) {
        R r;
        const uint8_t st = store_.write([&](Txn& t) -> uint8_t {
            r = R{};
            return body(t, r);
        });
        if (st != proto::OK) {
            std::string why = std::move(r.why);
            r = R{};
            r.why = why.empty() && st == proto::STORAGE_FULL ? kFull : std::move(why);
        }
        r.status = st;
        later(std::move(r), std::move(done));
    }

    // Queues done for finish_pass. A write that returned OK but whose
    // commit failed completes as STORAGE_FULL.
    template <class R> void later(R r, Done<R> done) {
        pending_.push_back(Pending{store_.generation(), [r = std::move(r), done = std::move(done)](bool durable) mutable {
                                       if (r.status == proto::OK && !durable) {
                                           r = R{};
                                           r.status = proto::STORAGE_FULL;
                                           r.why = kFull;
                                       }
                                       done(std::move(r));
                                   }});
    }

    // PREKEY_UPLOAD's write, and REGISTER's with the new user.
    static uint8_t prekeys_in(Txn& t, const PrekeyUpload& up, PrekeysStored& r) {
        size_t fresh = 0;
        for (const auto& o : up.opks) fresh += t.has_opk(up.user, o.id) ? 0 : 1;
        const size_t held = t.opk_count(up.user);
        if (held + fresh > up.max_pool) {
            r.why = "the server holds at most " + std::to_string(up.max_pool) + " one-time prekeys per user";
            return proto::TOO_LARGE;
        }
        t.put_spk(up.user, up.spk);
        for (const auto& o : up.opks) t.put_opk(up.user, o);
        r.pool = held + fresh;
        return proto::OK;
    }

    uint8_t replace_key_in(Txn& t, const KeyChange& c, KeyReplaced& r) {
        auto rec = t.get_user(c.user);
        if (!rec) return proto::NO_SUCH_USER;
        if (rec->key_version != c.expected_version) {
            wipe(rec->verifier.data(), rec->verifier.size());
            return proto::AUTH_FAILED;
        }
        auto same = crypto::sha256({c.pass, rec->salt});
        if (!ct_equal(same, rec->verifier)) {
            r.pw_changed = true;
            crypto::random_bytes(rec->salt.data(), rec->salt.size());
            rec->verifier = crypto::sha256({c.pass, rec->salt});
        }
        wipe(same.data(), same.size());
        // An unchanged public_key is a password change alone (tacit-protocol(7)).
        r.key_changed = rec->public_key != c.public_key;
        // Prekeys signed by (and set up against) the old key go with it; the
        // client uploads new ones after logging in again (PREKEYS).
        if (r.key_changed) t.drop_prekeys(c.user);
        rec->public_key = c.public_key;
        rec->key_version += 1;
        t.put_user(c.user, *rec);
        wipe(rec->verifier.data(), rec->verifier.size());
        for (auto& s : t.all_sessions()) {
            if (s.second.user != c.user) continue;
            t.delete_session(s.first);
            r.ended.push_back(s.first);
        }
        return proto::OK;
    }

    uint8_t add_in(Txn& t, const MemberChange& c, bool& admitted, Changed& r) {
        auto g = t.get_group(c.group);
        if (!g || g->dissolved) return proto::NO_SUCH_GROUP;
        if (c.record && c.record->kind == group::Kind::Rekeyed) return rekeyed_in(t, c, r);
        if (g->owner != c.actor) return proto::NOT_OWNER;
        if (!t.get_user(c.subject)) return proto::NO_SUCH_USER;
        if (t.is_member(c.group, c.subject)) return proto::ALREADY_MEMBER;
        if (t.member_count(c.group) >= c.max_members) return proto::TOO_LARGE;
        if (auto st = chain_in(t, c.record, group::Kind::Add, r); st != proto::OK) return st;
        if (!admitted && c.admit && !c.admit()) return proto::RATE_LIMITED;
        admitted = true;
        t.add_member(c.group, c.subject);
        return told(t, t.members(c.group), c.group, r);
    }

    // A member's key change (GROUP_ADD of oneself with a rekeyed record):
    // the membership stays, only the chain moves on; the members are told
    // as of any change, so they pin the new key before its first message.
    static uint8_t rekeyed_in(Txn& t, const MemberChange& c, Changed& r) {
        if (c.subject != c.actor) return r.why = "a rekeyed record is about its actor", proto::BAD_REQUEST;
        if (!t.is_member(c.group, c.actor)) return proto::NOT_MEMBER;
        if (auto st = chain_in(t, c.record, group::Kind::Rekeyed, r); st != proto::OK) return st;
        return told(t, t.members(c.group), c.group, r);
    }

    uint8_t remove_in(Txn& t, const MemberChange& c, Changed& r) {
        auto g = t.get_group(c.group);
        if (!g || g->dissolved) return proto::NO_SUCH_GROUP;
        const bool self = c.subject == c.actor, owner = g->owner == c.actor;
        if (!self && !owner) return proto::NOT_OWNER;
        if (!t.is_member(c.group, c.subject)) return proto::NOT_MEMBER;
        if (self && owner && t.member_count(c.group) > 1) return proto::BAD_REQUEST;
        const auto want = self && owner ? group::Kind::Dissolve : self ? group::Kind::Leave : group::Kind::Remove;
        if (auto st = chain_in(t, c.record, want, r); st != proto::OK) return st;
        if (self && owner) {
            g->dissolved = true;
            t.put_group(c.group, *g);
            r.dissolved = true;
        }
        t.remove_member(c.group, c.subject);
        auto to = t.members(c.group);
        to.push_back(c.subject);
        return told(t, std::move(to), c.group, r);
    }

    // The record's checks and store (chain_check.hpp), when there is one.
    static uint8_t chain_in(Txn& t, const std::optional<group::Record>& rec, group::Kind want, Changed& r) {
        return rec ? extend_chain(t, *rec, want, &r.why) : uint8_t(proto::OK);
    }

    // A change costs one record and the head, once for the group, and no
    // mailbox writes (tacit-protocol(7), GROUPS): r says whom to send NOTIFY
    // group-records and the new head. STORAGE_FULL when the record would
    // eat into the reserve.
    static uint8_t told(Txn& t, std::vector<std::string> to, const std::string& group, Changed& r) {
        if (!t.has_room(kRecordRoom)) {
            r.why = limit_sentence(Limit::Reserve, t.quotas(), "");
            return proto::STORAGE_FULL;
        }
        auto head = t.group_head(group);
        r.epoch = head ? head->epoch : 0;
        r.told = std::move(to);
        return proto::OK;
    }

    // The epoch of the record by which `user`, no longer a member, left
    // the group (removed, or leaving), searched from the head down at most
    // kDepartureScan records; nullopt if none (never a member, or too long ago).
    static std::optional<uint64_t> departure(Txn& t, const std::string& group, const std::string& user,
                                             uint64_t head) {
        for (uint64_t e = head + 1, n = 0; e-- > 0 && n < kDepartureScan; ++n) {
            auto b = t.group_record(group, e);
            auto r = b ? group::Record::decode(*b) : std::nullopt;
            if (!r || r->subject != user) continue;
            if (r->kind == group::Kind::Remove || r->kind == group::Kind::Leave) return e;
            return std::nullopt;  // its newest record made it a member (or rekeyed it)
        }
        return std::nullopt;
    }

    uint8_t deliver_in(Txn& t, const Mail& m, Changed& r) {
        const bool direct = m.group.empty();
        if (direct) {
            if (m.parts.size() != 1) return proto::BAD_REQUEST;
            if (!t.get_user(m.parts[0].target)) return proto::NO_SUCH_USER;
        } else {
            auto g = t.get_group(m.group);
            if (!g || g->dissolved) return r.why = "no such group: " + m.group, proto::NO_SUCH_GROUP;
            if (!t.is_member(m.group, m.sender))
                return r.why = "you are not a member of " + m.group, proto::NOT_MEMBER;
        }
        for (const auto& p : m.parts) {
            if (!direct && !t.is_member(m.group, p.target))
                return r.why = p.target + " is not a member of " + m.group, proto::NOT_MEMBER;
            StoredMsg s;
            s.kind = proto::STORED_MESSAGE;
            s.sender = m.sender;
            s.group = m.group;
            s.received_at_ms = m.at_ms;
            s.enc_msg = p.enc_msg;
            s.wrapped_key = p.wrapped_key;
            if (auto l = t.mail_limit(p.target, s); l != Limit::None) {
                r.why = limit_sentence(l, t.quotas(), p.target);
                return proto::STORAGE_FULL;
            }
            t.append_mail(p.target, std::move(s));
            r.deliveries.push_back(Delivery{p.target, t.mailbox_count(p.target)});
        }
        return proto::OK;
    }

    Store store_;
    std::vector<Pending> pending_;
};

}  // namespace

std::unique_ptr<Operations> open_lmdb(const Options& o) {
    return std::make_unique<LmdbOperations>(o);
}

}  // namespace tacit::store
