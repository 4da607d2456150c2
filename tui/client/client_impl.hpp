// Client::Impl, the client core's state, shared by the files that hold its
// parts: client.cpp (connection, accounts, reconnecting, the facade),
// contacts.cpp (key lookup and pinning), mailbox.cpp (sending, fetching and
// opening mail), groups.cpp and renewal.cpp (RENEW1..3: /rekey, /passwd).
// Private to tui/client.
#pragma once
#include <coroutine>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "shared/clock.hpp"
#include "shared/crypto.hpp"
#include "shared/event_loop.hpp"
#include "shared/group_chain.hpp"
#include "shared/keys.hpp"
#include "shared/messages.hpp"
#include "tui/client/account.hpp"
#include "tui/client/client.hpp"
#include "tui/client/conn.hpp"
#include "tui/client/local_store.hpp"
#include "tui/client/server_list.hpp"
#include "shared/direct_message.hpp"
#include "shared/x3dh.hpp"
#include "tui/client/dm_seen.hpp"
#include "tui/client/dm_sessions.hpp"
#include "tui/client/lane.hpp"
#include "tui/client/password.hpp"
#include "tui/client/signed_prekey.hpp"
#include "tui/client/task.hpp"
#include "tui/client/worker.hpp"

namespace tacit::client {

inline Nonce fresh_nonce() { return crypto::random_array<16>(); }

// The private halves of this client's prekeys (tui/client/prekeys.cpp), by id.
std::string opk_name(uint32_t id);
std::optional<crypto::X25519Key> stored_opk(LocalStore& store, uint32_t id);

// REGISTER's prekeys (tacit-protocol(7), REGISTER), drawn before the new
// account has a local store: the signed prekey (id 1) and one-time
// prekeys numbered from 1, committed once the server has the account.
// A client that dies before has lost the new identity with them, so no
// prekey the server holds is one a usable identity lacks.
struct FirstPrekeys {
    OwnSpk spk;
    std::vector<crypto::X25519Key> opks;
    static FirstPrekeys generate(uint64_t now);  // now: seconds, the client's wall clock
    msg::PrekeySet signed_by(const crypto::PkKey& sign, const std::string& user) const;
    void commit(LocalStore& store) const;
};

// The local store secret marking a direct message as processed (dm.cpp).
Array<16> dm_seen_id(const std::string& sender, const ratchet::Header& h);
std::string dm_seen_name(const Array<16>& id);
// What a stored item's pairwise ratchet message opened to, direct and
// group alike (mailbox.cpp).
struct RatchetOpened {
    enum class Outcome { Opened, Duplicate, Failed } outcome = Outcome::Failed;
    Secret plaintext;         // Opened only
    UserBundle sender;        // the key the session was set up with
    bool unaccepted = false;  // under a new key of the sender not accepted yet
    std::string problem;      // Failed only
};
// The local store secret holding the sessions with peer (dm_sessions.hpp).
std::string dm_sessions_name(const std::string& peer);

struct Client::Impl {
    Client& self;
    Options opt;
    DataDir files;
    ServerList servers;  // --server's addresses (server_list.hpp)
    Endpoint ep;         // the one connect() is at, or last reached
    std::string server_name;  // its known_servers spelling
    std::optional<ServerBundle> server;
    // The step a connect, register, login, reconnect or renewal is at
    // (client.hpp). Before the frames: a frame's PhaseStep dies with it.
    Phase phase = Phase::Idle;
    void phase_to(Phase p) {
        phase = p;
        if (opt.on_phase) opt.on_phase(p);
    }
    // Holds the phase at a step for as long as it lives (a coroutine's
    // local: until that exchange ends or its frame is destroyed), then puts
    // back the step it interrupted (login's connect goes back to LoggingIn).
    class PhaseStep {
    public:
        PhaseStep(Impl& im, Phase step) : im_(im), was_(im.phase) { im.phase_to(step); }
        ~PhaseStep() { im_.phase_to(was_); }
        PhaseStep(const PhaseStep&) = delete;
        PhaseStep& operator=(const PhaseStep&) = delete;

    private:
        Impl& im_;
        Phase was_;
    };
    // Declared in this order so that they die in reverse: the worker joins
    // its thread first (its job may write into a suspended frame), then the
    // connection, then the frames, then the loop that ran them.
    EventLoop loop{opt.clock};
    Lane lane{loop};  // outlives the frames holding or awaiting its turn
    TaskScope tasks;
    Worker worker{tasks.resumer(loop)};
    std::shared_ptr<Conn> conn;
    std::optional<UserIdentity> id;
    std::optional<PasswordKeys> pw;  // kept to log in again after renewal or an expired token
    std::unique_ptr<LocalStore> store;
    std::map<std::string, Bytes> key_changes;  // user -> new bundle awaiting accept-key
    // Verified group chains (group_chains.cpp), mirrored in the local store.
    std::map<std::string, group::Chain> chains;
    std::deque<msg::Notify> notes;
    // One mailbox fetch at a time: NOTIFYs during a fetch ask for one more.
    enum class Fetch { Idle, Running, RunningAgain } fetch = Fetch::Idle;
    // Ratchet sessions per peer as the page being fetched advances them
    // (tui/client/dm.cpp), loaded from the local store on first use in the
    // page. Sending never uses them: it steps the stored state in one store
    // transaction, as other terminals of the account do.
    std::map<std::string, DmSessions> dm;
    // What the page being fetched changed (sessions, seen messages, used
    // prekeys): committed with that page's history, before its ack...
    LocalStore::SecretChanges dm_pending;
    // ...only if the sessions and logs it started from are still what the
    // store holds (LocalStore::Conflict otherwise, and the page is opened again).
    LocalStore::SecretChanges dm_basis;
    // The processed-message logs per sender (dm_seen.hpp), kept like dm.
    std::map<std::string, SeenLog> seen_logs;
    // One prekey upload at a time (tui/client/prekeys.cpp).
    enum class Prekeys { Idle, Uploading } prekeys = Prekeys::Idle;

    // Seconds since the epoch, on Options::wall_clock when a test sets one.
    uint64_t wall_s() const { return (opt.wall_clock ? opt.wall_clock() : wall_ms()) / 1000; }

    Impl(Client& c, Options o) : self(c), opt(std::move(o)), files(opt.data_dir) {
        auto l = ServerList::parse(opt.server, 7700);
        if (!l) throw std::runtime_error("bad server address: " + opt.server);
        servers = std::move(*l);
        use_server(0);
    }
    ~Impl() {
        if (conn) conn->on_closed(nullptr);
    }

    void event(Event e) { self.events_.push_back(std::move(e)); }

    // The token lives in memory only (tacit(1)); wiped when it is dropped.
    void forget_token() {
        if (self.token_) wipe(self.token_->data(), self.token_->size());
        self.token_.reset();
    }

    // Reads of the local store for the front ends: a failure (an I/O error)
    // becomes an Info event and an empty answer, never an exception the
    // screen's loop would have to survive.
    template <class F> auto from_store(F&& f) -> decltype(f(*store)) {
        if (!store) return {};
        try {
            return f(*store);
        } catch (const std::exception& e) {
            info(e.what());
            return {};
        }
    }
    void info(std::string text) {
        event(ev::Info{std::move(text)});
    }
    // The user's files on the connected server; connect() has pinned its key.
    Account account(const std::string& user) const {
        if (!server) throw std::runtime_error("no server key yet: connect first");
        return files.account(*server, user);
    }

    // ------------------------------------------------------------ the loop
    // Runs t to its end on this client's loop: the synchronous face of the
    // core, for batch mode, the tests and (until it runs on the loop
    // itself) the full-screen client. Never from inside a loop callback.
    template <class T> T wait(Task<T> t) {
        std::optional<std::variant<std::exception_ptr, T>> out;
        tasks.spawn(in_lane(std::move(t)), [&out](std::variant<std::exception_ptr, T> v) { out.emplace(std::move(v)); });
        while (!out) loop.run_once(-1);
        if (out->index() == 0) std::rethrow_exception(std::get<0>(*out));
        return std::move(std::get<1>(*out));
    }
    // t run in the lane's turn (lane.hpp): every exchange the core starts
    // goes through here, and none of them awaits another through it.
    template <class T> static Task<T> in_lane(Lane& lane, Task<T> t) {
        auto waiting = lane.take();
        auto turn = co_await waiting;
        if constexpr (std::is_void_v<T>) co_await std::move(t);
        else co_return co_await std::move(t);
    }
    template <class T> Task<T> in_lane(Task<T> t) { return in_lane(lane, std::move(t)); }
    // Work started by the server's notices runs in the background; its
    // failures are reported, never thrown into a front end.
    void background(Task<Result> t, std::string what) {
        tasks.spawn(in_lane(std::move(t)), [this, what](std::variant<std::exception_ptr, Result> v) {
            if (v.index() == 0) {
                try {
                    std::rethrow_exception(std::get<0>(v));
                } catch (const std::exception& e) {
                    info(what + ": " + e.what());
                }
            }
        });
    }
    void pump() {
        while (loop.run_once(0) > 0) {
        }
    }

    // ------------------------------------------------------------ the connection
    void attach(std::shared_ptr<Conn> c);
    // Drops the connection without a Disconnected event (logout, reconnect).
    void quiet_drop();
    void unsolicited(const Frame& f);
    void take_notes();
    void start_fetch();
    Task<Result> fetch_loop();
    // tui/client/prekeys.cpp: after login (publish_prekeys, awaited in
    // the login's turn) and on NOTIFY prekeys-low (start_prekey_upload).
    bool claim_prekey_upload();
    void start_prekey_upload();
    Task<void> publish_prekeys(SpkRenewal renewal = SpkRenewal::AsDue);
    Task<Result> upload_prekeys(SpkRenewal renewal);
    Task<Result> send_prekeys(const x3dh::SignedPrekey& spk, std::vector<msg::PrekeyOpk> opks, size_t* pool);

    template <class Rep, class Req>
    auto ask(const Req& m, Signers s = {}, Nonce Rep::*echo = nullptr, std::optional<Nonce> expect = {}) {
        if (!conn) throw ConnError("not connected");
        return conn->ask<Rep>(m, s, echo, expect);
    }
    Signers signed_by_me() const { return Signers{&id->sign, nullptr}; }

    // ------------------------------------------------------------ connect
    // Connects to the servers' addresses in turn, from the one that last
    // worked, until one answers; a refused key stops it at once.
    Task<Result> connect();
    Task<Result> connect_current();
    void use_server(size_t index) {
        servers.use(index);
        ep = servers.current();
        server_name = servers.current_name();
    }
    // The key pinned for this address, else for another address of the same
    // server (then pinned for this one too): the nodes share one key.
    std::optional<ServerBundle> pinned_server();

    // A server that can't open our HELLO closes without a word, as a
    // rate-limited one does; ask for its key to tell the two apart.
    Task<Result> explain_failed_hello(std::string what, std::string known_file);
    // ------------------------------------------------------------ identity
    void open_store(const Account& acct);

    // ------------------------------------------------------------ accounts
    // PBKDF2 and RSA key generation take a second or more: off the loop.
    // The password is wiped as soon as PBKDF2 has run.
    Task<PasswordKeys> derive(Password password, PasswordSalt salt);
    Task<UserIdentity> generate_identity();
    // The identity file opened with the password: its header's salt, then
    // PBKDF2, then the file. nullopt (and *err) for a bad file or password.
    struct Unlocked {
        UserIdentity ident;
        PasswordKeys keys;
    };
    Task<std::optional<Unlocked>> unlock(Account acct, Password password, Result* err);

    Task<Result> register_user(std::string user, Password password);
    Task<Result> open_local(std::string user, Password password);
    Result probe_stored(const msg::Stored& st);  // dm.cpp

    Task<Result> login(std::string user, Password password);

    // LOGIN1, LOGIN2. ident and keys are the caller's and outlive the exchange.
    Task<Result> do_login(std::string user, const UserIdentity& ident, const PasswordKeys& keys);

    Task<Result> logout();
    // Resumes when c has closed (or after the request timeout, closing it).
    Task<void> closed(std::shared_ptr<Conn> c);

    Task<Result> who(std::vector<std::string>* users);

    Task<Result> ping(uint64_t* rtt_us);

    Task<Result> rekey();

    // Only the password changes: RENEW3 carries the registered bundle again
    // (tacit-protocol(7): public_key may be unchanged), so contacts see no
    // key change. The current password must open the identity file first.
    Task<Result> passwd(Password old_password, Password new_password);

    // RENEW1..3 with next as the key (the current one again for a password
    // change) and keys for the password; then logs in again. On success msg
    // is "", or why that login failed.
    Task<Result> renew(UserIdentity next, PasswordKeys keys, SpkRenewal spk);


    // ------------------------------------------------------------ contacts
    // Looks up a user's current key on the server (MSG1).
    Task<std::optional<Bytes>> fetch_key(std::string user, Result* err);
    // Pins on first use; flags a change. Returns the bundle to use, or a
    // KEY_CHANGED failure.
    std::optional<UserBundle> checked_key(const std::string& user, const Bytes& current, Result* err);

    Task<Result> accept_key(std::string user);

    // ------------------------------------------------------------ messages
    Task<Result> send(std::string to, std::string body);

    // A direct or group message under the ratchet, or nullopt for a duplicate
    // (dropped unshown); an item that does not open is returned with its
    // problem and no text.
    Task<std::optional<ChatMessage>> open_stored(msg::Stored st);
    Task<RatchetOpened> open_ratchet(msg::Stored st);

    // ------------------------------------------------------------ direct messages (dm.cpp)
    // The sessions held with peer (DmSessions::current picks by keys).
    DmSessions& dm_sessions(const std::string& peer);
    void dm_forget();  // drops the page's sessions and logs, what it left pending and their basis
    SeenLog& dm_seen_log(const std::string& sender);
    // Marks a processed message in dm_pending, with the markers its log
    // prunes (dm_seen.hpp); at_ms is the item's received_at.
    void dm_mark_seen(const std::string& sender, const Array<16>& id, uint64_t at_ms);
    // Whether a secret exists, counting what dm_pending writes or erases.
    bool dm_has(const std::string& name);
    // enc_msg for fm, on the first session with `to` (set up with
    // PREKEY_FETCH and X3DH if there is none); its new state is committed
    // before this returns, so before the message is sent.
    Task<std::optional<Bytes>> dm_seal(std::string to, UserBundle to_bundle, msg::FormattedMessage fm, Result* err);
    // A session with `to` under these keys exists once this succeeds (set
    // up with PREKEY_FETCH and X3DH if there was none; not yet committed).
    Task<Result> dm_ready(std::string to, UserBundle to_bundle);
    Task<Result> fetch_prekey_bundle(std::string user, x3dh::PrekeyBundle* out);
    Task<Result> x3dh_initiate(std::string to, UserBundle to_bundle, std::optional<x3dh::Initiated>* out);
    DmSessions dm_decode(const std::string& peer, const std::optional<Secret>& stored);
    // Opens st with a held session, or as X3DH's responder; the changes go
    // to dm_pending. Sets *problem when it does not open.
    std::optional<Secret> dm_open(const msg::Stored& st, const dm::Wire& w, const UserBundle& sender,
                                  std::string* problem);
    std::optional<Secret> dm_open_as(const msg::Stored& st, const dm::Wire& w, const UserBundle& sender,
                                     const crypto::X25519Key& own_box, const UserBundle& mine, std::string* problem);
    // tui/client/group_events.cpp: NOTIFY group-records and, at login,
    // GROUP_LIST make the client fetch the records newer than its chains.
    void group_noticed(const std::string& g, uint32_t head);
    Task<void> catch_up_groups();
    void gone_unsigned(const std::string& g, const std::string& why);

    Task<Result> fetch_all();
    Task<std::vector<ChatMessage>> open_page(const std::vector<msg::Stored>& page);
    Task<std::vector<ChatMessage>> commit_page(const std::vector<msg::Stored>& page);

    // ------------------------------------------------------------ groups
    // Create, add and remove share one shape: request with the token and a
    // nonce, signed reply with status, msg and the nonce echoed.
    template <class Req, class Rep> Task<Result> group_change(Req m, std::string g);

    Task<Result> group_simple(uint8_t type, std::string g, std::string user);
    // One signed change: the record made on the chain's head, sent; on
    // STALE_EPOCH the chain is fetched again and the record made anew.
    Task<Result> group_record_change(uint8_t type, std::string g, std::string user);
    // ------------------------------------------------------------ group chains
    group::Policy chain_policy(const std::vector<group::Record>& recs);
    void save_chain(const group::Chain& c);
    const group::Chain* local_chain(const std::string& g);
    // Fetches and verifies the records past the local head (GROUP_FETCH).
    Task<Result> sync_chain(std::string g);
    group::Record make_record(group::Kind k, const std::string& g, const std::string& subject, Bytes bundle);
    void applied(const group::Record& r);
    void rekeyed_pin(const group::Record& r);
    Task<Result> rekey_group(std::string g, const UserIdentity& old);
    msg::GroupStamp stamp_of(const group::Chain& c);
    // Why a verified group message's stamp does not hold; "" when it does.
    Task<std::string> stamp_problem(msg::FormattedMessage fm);
    void group_warning(const std::string& g, std::string text);
    // One group line (and history entry) per verified record, once.
    void record_event(const group::Record& r);
    void joined_events(const group::Chain& c);

    Task<Result> group_keys(std::string g, std::vector<msg::MemberKey>* out);

    Task<Result> group_send(std::string g, std::string body);
    // group_fanout.cpp: fm (recipient unset) to every target on its pairwise
    // session, sealed on the worker and committed in one transaction before
    // the first batch leaves. *sent counts the members it went to.
    using Targets = std::vector<std::pair<std::string, UserBundle>>;
    Task<Result> group_fan_out(msg::FormattedMessage fm, Targets targets, size_t* sent);

    Task<Result> group_members(std::string g, std::vector<std::string>* members, std::string* owner);

    // ------------------------------------------------------------ reconnect
    Task<Result> reconnect();
};

}  // namespace tacit::client
