// One client connection: socket buffers, channel state, and the per-
// connection protocol state that handlers keep between requests.
#pragma once
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/channel.hpp"
#include "shared/crypto.hpp"
#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/protocol.hpp"
#include "shared/unique_fd.hpp"
#include "srv/session.hpp"

namespace tacit::srv {

enum class ConnState : uint8_t {
    AwaitFirst,    // plaintext: KEY_REQUEST, HELLO or RESUME
    KeySent,       // KEY_RESPONSE sent; HELLO or RESUME may follow, a second KEY_REQUEST closes
    Opening,       // HELLO or RESUME in the crypto pool; any frame closes
    Open,          // channel up, not logged in
    Resuming,      // RESUME answered; logged in once the first sealed frame opens
    LoggedIn,
};

// A frame waiting for the end of the loop pass, when the pass's LMDB
// transaction has committed. build() gets whether that commit succeeded and
// returns the sealed plaintext (type | fields), or nothing to skip.
struct ReplySlot;
struct Outgoing {
    std::function<std::optional<Bytes>(bool committed)> build;
    bool sign = false;
    bool raw = false;  // build() returns a whole frame, already framed/sealed
    std::function<void(bool committed)> after;
    // Set: the reply of a request whose store operation has not completed
    // yet (Ctx::then). It keeps that request's place; what comes after it
    // waits until the slot is filled.
    std::shared_ptr<ReplySlot> slot = nullptr;
};

struct ReplySlot {
    bool filled = false;
    std::optional<Outgoing> out;  // filled with nothing: the request gets no reply
};

// A frame built after the commit, waiting to be sealed in its turn: a
// signed one until the pool has signed it (srv/crypto_pool.hpp). Frames are
// sealed strictly in the order they were built, so a reply's sequence
// number is the one its signature was made over.
struct Sealing {
    enum class State : uint8_t {
        Ready,     // nothing owed: seal (or append, if raw) now
        Unsigned,  // needs a signature; its sequence number is not known yet
        Signing,   // its signature is being made (or failed: empty sig)
        Signed,
    };
    State state = State::Ready;
    bool frame = false;      // false: built to nothing, only after() runs
    bool raw = false;
    bool committed = false;  // what after() is told
    Bytes body;              // type | fields (a whole frame if raw)
    Bytes sig;
    std::function<void(bool committed)> after;
};

// A sealed frame opened but not yet handled, because a logged-in signed
// request before it (or it itself) has its signature with the crypto pool
// (Server::hold_frame). Frames are handled strictly in arrival order, each
// once its own check is back, so none overtakes another; meanwhile the
// pool checks the signatures of up to kMaxHeld pipelined requests at once.
struct Preverified {
    enum class Check : uint8_t {
        None,     // no pool check (an unsigned frame, or one the handler verifies)
        Running,  // with the pool
        Done,     // ok holds the result
    };
    uint8_t type = 0;
    Secret plaintext;  // type | fields | sigs: it may carry key material
    uint64_t seq = 0;
    Check check = Check::None;
    size_t signed_len = 0;
    Bytes sig;
    std::shared_ptr<const crypto::PkKey> key;
    bool ok = false;
    // Not a frame: where the connection was to close (a frame that did not
    // open, end of file), kept in line so the frames before it are still
    // answered first.
    const char* close_why = nullptr;
    // Not a frame either: a request before these whose handler is waiting
    // for the pool to check a signature (Ctx::verify_then). The frames
    // behind it wait until its continuation has run, so none takes effect
    // first. Its check is Running until then; the ticket names it.
    uint64_t barrier = 0;
    bool ready() const { return check != Check::Running; }
};
inline constexpr size_t kMaxHeld = 16;  // as kMaxFramesPerPass (srv/server.cpp)

struct LoginPending {
    std::string user;
    Nonce nonce1{}, nonce2{};
    Array<16> salt{};
    bool decoy = true;
    SecretArray<32> verifier;
};

struct UpdatePage {
    Nonce nonce2{};
    std::vector<uint64_t> ids;
};

struct Connection {
    uint64_t id = 0;
    UniqueFd fd;
    std::string peer;      // Peer::shown, for the log
    std::string peer_key;  // Peer::key: what per-peer limits are charged to
    ConnState state = ConnState::AwaitFirst;
    FrameDecoder decoder{proto::kMaxFramePreLogin};  // raised at login (Sessions::attach)
    Bytes out;
    size_t out_off = 0;
    bool want_write = false;
    bool backlog = false;         // frames wait in the decoder; the socket is not read
    unsigned frames_this_pass = 0;
    std::optional<Channel> channel;
    Array<32> session_id{};
    std::shared_ptr<Session> session;
    std::vector<Outgoing> pending;  // a vector: an empty deque costs ~600 bytes per idle connection
    std::vector<std::shared_ptr<Sealing>> sealing;  // built, not yet sealed into out, in order
    std::optional<LoginPending> login;
    bool renew1_done = false;
    bool renew_pending = false;  // RENEW2 accepted; any client frame before RENEW2_R closes
    std::optional<UpdatePage> page;
    std::deque<Preverified> held;            // in arrival order
    std::optional<Preverified> preverified;  // the held frame being handled (Ctx::verify)
    // The pre-login budget (tacitd(8); kPreLoginFrames in srv/server.cpp),
    // counted since the channel opened or the last signature that verified.
    unsigned prelogin_frames = 0, prelogin_bad_sigs = 0;
    uint64_t accepted_ms = 0, last_rx_ms = 0;
    bool closing = false;  // close once pending output is written
    bool dead = false;     // reaped in before-sleep, never inside its own callback

    size_t out_pending() const { return out.size() - out_off; }
    // Replies queued, built or written but not yet all sent.
    bool owes_output() const { return !pending.empty() || !sealing.empty() || out_pending() > 0; }
    bool logged_in() const { return state == ConnState::LoggedIn; }
    // Nothing more is read while the line of held frames is full or ends
    // in a close, or while a request before login waits for its signature
    // check (Ctx::verify_then): nothing behind it is even decoded until it
    // has been acted on, so a frame behind a LOGIN2 that logs in meets the
    // logged-in frame limit, as when the check ran on the loop.
    bool held_full() const {
        return held.size() >= kMaxHeld ||
               (!held.empty() && (held.back().close_why || (!logged_in() && held.front().barrier)));
    }
};

}  // namespace tacit::srv
