// Messages and the mailbox: sending (MSG1, MSG2), fetching pages (UPDATE1,
// UPDATE2) one fetch at a time, and opening what they hold.
#include "tui/client/client_impl.hpp"
#include "tui/client/retired_identity.hpp"

#include <fmt/core.h>

#include "shared/names.hpp"
#include "tui/client/e2e.hpp"

namespace tacit::client {

void Client::Impl::take_notes() {
    bool mail = false;
    while (!notes.empty()) {
        auto n = notes.front();
        notes.pop_front();
        if (n.what == proto::NOTIFY_MAIL) mail = true;
        if (n.what == proto::NOTIFY_GROUP_RECORDS && self.token_) group_noticed(n.group, n.count);
        if (n.what == proto::NOTIFY_PREKEYS_LOW) start_prekey_upload();
        if (n.what == proto::NOTIFY_PRESENCE) event(ev::Presence{n.count});
    }
    if (mail && self.token_) start_fetch();
}

void Client::Impl::start_fetch() {
    if (fetch != Fetch::Idle) {
        fetch = Fetch::RunningAgain;
        return;
    }
    fetch = Fetch::Running;
    background(fetch_loop(), "could not fetch new messages");
}

Task<Result> Client::Impl::fetch_loop() {
    Result r;
    try {
        do {
            fetch = Fetch::Running;
            r = co_await fetch_all();
        } while (fetch == Fetch::RunningAgain && conn);
    } catch (...) {
        fetch = Fetch::Idle;
        throw;
    }
    fetch = Fetch::Idle;
    co_return r;
}

Task<Result> Client::Impl::send(std::string to, std::string body) {
    if (body.size() > proto::kMaxBody) co_return Result::fail(proto::TOO_LARGE, "message body is over 64 KiB");
    if (auto why = name_problem(to); !why.empty())
        co_return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
    Result err;
    auto current = co_await fetch_key(to, &err);
    if (!current) co_return err;
    auto bundle = checked_key(to, *current, &err);
    if (!bundle) co_return err;
    auto fm = make_formatted(self.user_, to, "", body, crypto::random_array<16>(), wall_ms());
    auto sealing = dm_seal(to, *bundle, fm, &err);
    auto enc = co_await sealing;
    if (!enc) co_return err;
    msg::Msg2 m;
    m.nonce2 = fresh_nonce();
    m.target = to;
    m.enc_msg = std::move(*enc);  // wrapped_key stays empty (DIRECT MESSAGES)
    auto r = co_await ask<msg::Msg2R>(m, signed_by_me(), &msg::Msg2R::nonce2);
    if (!r.ok()) co_return r.res;
    auto record = to_chat(fm);
    record.outgoing = true;
    record.verified = true;
    store->add({record}, self.user_);
    auto res = r.res;
    res.id = record.id;
    co_return res;
}

namespace {
// What an item that does not open shows: who and when, the reason, no text.
ChatMessage undecryptable(const msg::Stored& st, const std::string& me, std::string problem) {
    ChatMessage cm;
    cm.id = fmt::format("undecryptable-{}", st.id);
    cm.from = st.sender;
    cm.to = me;
    cm.group = st.group;
    cm.sent_at_ms = st.received_at_ms;
    cm.problem = std::move(problem);
    return cm;
}
// The ratchet already proves which identity sent it; the RSA signature
// inside is kept for non-repudiation (DIRECT MESSAGES, GROUP MESSAGES).
ChatMessage opened_chat(const RatchetOpened& r, const OpenedEnvelope& o, const msg::Stored& st) {
    auto cm = to_chat(o.fm);
    cm.received_at_ms = st.received_at_ms;
    if (r.unaccepted) cm.problem = "sent with a new key of " + cm.from + " that is not accepted yet";
    else if (verify_envelope(o, r.sender)) cm.verified = true;
    else cm.problem = "signature does not verify with the pinned key of " + cm.from;
    return cm;
}
}  // namespace

Task<RatchetOpened> Client::Impl::open_ratchet(msg::Stored st) {
    RatchetOpened out;
    auto w = dm::Wire::decode(st.enc_msg);
    if (!w || !st.wrapped_key.empty()) {
        out.problem = st.wrapped_key.empty() ? "malformed message" : "not under the ratchet (a wrapped-key envelope)";
        co_return out;
    }
    // Before any decryption: a second copy of a processed message is
    // dropped, never shown as undecryptable (its key is gone).
    const auto seen = dm_seen_id(st.sender, w->header);
    if (dm_has(dm_seen_name(seen))) {
        out.outcome = RatchetOpened::Outcome::Duplicate;
        co_return out;
    }
    Result err;
    std::optional<UserBundle> sender;
    if (auto p = store->pinned(st.sender)) sender = UserBundle::decode(*p);
    else if (auto k = co_await fetch_key(st.sender, &err)) sender = checked_key(st.sender, *k, &err);
    if (!sender) {
        out.problem = "no key for " + st.sender + ": " + err.msg;
        co_return out;
    }
    auto pt = dm_open(st, *w, *sender, &out.problem);
    if (!pt && w->init && w->init->ik != sender->box_pub && !st.group.empty()) {
        // A group's records may vouch for the new key (a rekeyed record):
        // fetching them moves the pin, with nothing to accept.
        auto syncing = sync_chain(st.group);
        auto synced = co_await syncing;
        std::optional<UserBundle> pinned;
        if (auto p = store->pinned(st.sender); synced.ok && p) pinned = UserBundle::decode(*p);
        if (pinned && pinned->box_pub == w->init->ik) {
            sender = pinned;
            pt = dm_open(st, *w, *sender, &out.problem);
        }
    }
    if (!pt && w->init && w->init->ik != sender->box_pub) {
        // A new session under another identity key: the sender changed
        // keys. Say so, and open it with the new key as before the
        // ratchet: shown, never as verified, until accept-key.
        auto k = co_await fetch_key(st.sender, &err);
        std::optional<UserBundle> next;
        if (k && *k != sender->encode()) {
            checked_key(st.sender, *k, &err);
            next = UserBundle::decode(*k);
        }
        if (next && next->box_pub == w->init->ik) {
            sender = next;
            pt = dm_open(st, *w, *sender, &out.problem);
            out.unaccepted = true;
        }
    }
    if (!pt) co_return out;
    dm_mark_seen(st.sender, seen, st.received_at_ms);
    out.outcome = RatchetOpened::Outcome::Opened;
    out.plaintext = std::move(*pt);
    out.sender = std::move(*sender);
    co_return out;
}

// Direct and group messages alike: the pairwise session first, then the
// plaintext against the stored record and the signature; a group message
// also by its stamp against our verified chain (tacit-protocol(7), GROUP
// MESSAGES). One whose sender was no member at its stamp is never shown as
// genuine: unverified, with the reason.
Task<std::optional<ChatMessage>> Client::Impl::open_stored(msg::Stored st) {
    if (!name_problem(st.sender).empty()) throw WireError(WireError::Invalid, "invalid sender name");
    auto opening = open_ratchet(st);
    auto r = co_await opening;
    if (r.outcome == RatchetOpened::Outcome::Duplicate) co_return std::nullopt;
    if (r.outcome == RatchetOpened::Outcome::Failed) co_return undecryptable(st, self.user_, r.problem);
    std::string problem;
    auto o = parse_formatted(r.plaintext, self.user_, st, &problem);
    if (!o) co_return undecryptable(st, self.user_, problem);
    auto cm = opened_chat(r, *o, st);
    if (st.group.empty()) co_return cm;
    auto judging = stamp_problem(o->fm);
    auto stamp_why = co_await judging;
    if (!stamp_why.empty() && cm.problem.empty()) {
        cm.verified = false;
        cm.problem = std::move(stamp_why);
    }
    co_return cm;
}

// Opens one page's messages; what they advance waits in dm_pending.
Task<std::vector<ChatMessage>> Client::Impl::open_page(const std::vector<msg::Stored>& page) {
    std::vector<ChatMessage> got;
    for (auto& st : page) {
        // One bad entry (a malformed field, a name that can't be a
        // key) must cost only itself: throwing here would leave the
        // page unacknowledged and fetched again forever.
        std::string bad;
        // open_stored may suspend, and the connection may be gone when
        // it resumes; the page stays unacknowledged and comes again.
        if (!conn) throw ConnError("not connected");
        try {
            // Kind 1 (system entries) is gone: membership comes from
            // the signed records (tacit-protocol(7), STORED MESSAGES).
            if (st.kind != proto::STORED_MESSAGE) throw WireError(WireError::Invalid, "not a message");
            if (auto m = co_await open_stored(st)) got.push_back(std::move(*m));
        } catch (const ConnError&) {
            throw;
        } catch (const std::exception& e) {
            bad = e.what();
        }
        if (!bad.empty()) info(fmt::format("dropped message {} from the server: {}", st.id, bad));
    }
    co_return got;
}

// Opens a page and commits its history with the ratchet state it advanced
// (Client state), before its ack, so nothing is lost if we die here.
// Another terminal of the account may have stepped the same sessions
// meanwhile (LocalStore::Conflict): the page is opened again on their
// state; what that terminal already opened is then a duplicate here.
Task<std::vector<ChatMessage>> Client::Impl::commit_page(const std::vector<msg::Stored>& page) {
    for (int attempt = 1;; ++attempt) {
        // Whatever stops this page before its commit (a drop, a full disk,
        // a conflict) leaves it unacknowledged: forget what it advanced.
        struct Uncommitted {
            Impl& i;
            ~Uncommitted() { i.dm_forget(); }
        } forget{*this};
        auto opening = open_page(page);
        auto got = co_await opening;
        try {
            co_return store->add(got, self.user_, dm_pending, dm_basis);
        } catch (const LocalStore::Conflict&) {
            if (attempt == LocalStore::kConflictAttempts) throw;
        }
    }
}

Task<Result> Client::Impl::fetch_all() {
    size_t total = 0, shown = 0;
    const uint64_t started = wall_s();
    for (int page = 0; page < 100000; ++page) {
        msg::Update1 u;
        u.token = *self.token_;
        u.nonce1 = fresh_nonce();
        auto r = co_await ask<msg::Update1R>(u, {}, &msg::Update1R::nonce1);
        if (!r.ok()) co_return r.res;
        auto& d = *r.m;
        auto committing = commit_page(d.messages);
        auto fresh = co_await committing;
        for (auto& m : fresh) {
            ++shown;
            event(ev::Message{m});
        }
        total += d.messages.size();
        msg::Update2 a;
        a.nonce2 = d.nonce2;
        if (!conn) throw ConnError("not connected");
        conn->send(msg::encode_body(a), {}, &a.nonce2);
        if (!d.more) break;
    }
    // Emptied: keys replaced before this fetch began have had their mail
    // (retired_keys.hpp), and a week-old signed prekey is replaced.
    spk_mailbox_drained(*store, started, wall_s());
    identities_drained(*store, started, wall_s());
    if (spk_due(*store, wall_s())) start_prekey_upload();
    auto res = Result::good(fmt::format("{} fetched", total));
    res.count = shown;
    co_return res;
}

}  // namespace tacit::client
