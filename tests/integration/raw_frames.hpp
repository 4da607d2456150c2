// A hand-driven tacit connection for tests that attack the channel itself:
// the handshake is done here rather than in SecureConn, so every sealed
// frame is visible as bytes and can be replayed, reordered, cut or
// bit-flipped, and any request can be signed with any key. For request-level
// tests RawClient (raw_client.hpp) is the simpler tool.
#pragma once
#include <optional>
#include <string>

#include "shared/batch_sig.hpp"
#include "shared/channel.hpp"
#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/keys.hpp"
#include "shared/messages.hpp"
#include "shared/unique_fd.hpp"
#include "tests/integration/harness.hpp"

namespace tacit::test {

struct RawFrame {
    Bytes pt;          // type | fields | sigs
    uint64_t seq = 0;  // the s2c sequence number it was sealed at
    uint8_t type() const { return pt.empty() ? 0 : pt[0]; }
};

// What a reply says, for any reply type: the status field where the reply
// has one, OK for replies without one, the ERROR's status for ERROR.
struct Outcome {
    uint8_t type = 0;
    uint8_t status = 0;
    std::string msg;
    bool closed = false;   // the server closed the connection instead
    bool timeout = false;  // nothing came
};
Outcome outcome_of(const RawFrame& f);
std::string describe(const Outcome& o);  // "GROUP_ADD_R NOT_OWNER: only the owner..."

class FrameConn {
public:
    // TCP connect only; the server key comes from s.pub_file(). With
    // from_ip (say "127.0.0.2") the socket is bound to that loopback
    // address first, so the server sees a peer other than 127.0.0.1.
    explicit FrameConn(const TestServer& s, int timeout_ms = 10000, const std::string& from_ip = "");
    FrameConn(const FrameConn&) = delete;
    FrameConn& operator=(const FrameConn&) = delete;

    // HELLO and HELLO_R; throws std::runtime_error when refused.
    void hello();
    // RESUME(token); false when the server answered AUTH_FAILED.
    bool resume(const Token& token);

    // Seals type|fields (+ one signature per signer over this frame's c2s
    // sig input) and returns the whole frame; uses up one sequence number.
    Bytes seal(Bytes body, const crypto::PkKey* s1 = nullptr, const crypto::PkKey* s2 = nullptr);
    // Writes bytes as they are; false if the socket is gone.
    bool write(ByteView bytes);
    bool send(Bytes body, const crypto::PkKey* s1 = nullptr, const crypto::PkKey* s2 = nullptr) {
        return write(seal(std::move(body), s1, s2));
    }

    // The next frame, opened; nullopt on timeout or close (closed() tells).
    std::optional<RawFrame> recv(int timeout_ms);
    // The next frame that isn't NOTIFY.
    std::optional<RawFrame> reply(int timeout_ms);
    // send + reply, as an Outcome (closed/timeout when no reply came).
    Outcome call(Bytes body, const crypto::PkKey* s1 = nullptr, const crypto::PkKey* s2 = nullptr,
                 int timeout_ms = 10000);
    // True when the server closes within timeout_ms; frames meanwhile are
    // skipped.
    bool closed_within(int timeout_ms);
    bool closed() const { return closed_; }

    // LOGIN1 + LOGIN2 signed by id; the token on OK.
    // With the salt given, or account_salt(user) (raw_client.hpp).
    std::optional<Token> login(const std::string& user, const std::string& password, const UserIdentity& id,
                               const std::optional<PasswordSalt>& salt = std::nullopt);
    // REGISTER signed by id; the status.
    uint8_t register_user(const std::string& user, const std::string& password, const UserIdentity& id);

    int fd() const { return fd_.get(); }
    void close_socket() { fd_.reset(); }
    const Array<32>& session_id() const { return session_id_; }
    uint64_t next_send_seq() const { return ch_ ? ch_->next_send_seq() : 0; }
    const ServerBundle& server() const { return server_; }
    // Verifies a server signature over frame f's s2c sig input.
    bool server_sig_ok(const RawFrame& f, size_t signed_len, ByteView sig) const;

private:
    bool establish(uint8_t kind, const char* label, std::optional<Token> token);
    std::optional<Bytes> read_body(int timeout_ms);

    ServerBundle server_;
    int timeout_ms_;
    UniqueFd fd_;
    FrameDecoder dec_{1048576};  // the server is trusted to keep its own limits
    std::optional<Channel> ch_;
    Array<32> session_id_{};
    mutable batch::Verifier verifier_;  // the roots of server replies already verified
    bool closed_ = false;
};

// RSA-3072 identities generated once per process and reused for any number
// of accounts (the server doesn't mind two accounts sharing a key), because
// key generation dominates test time under sanitizers.
const UserIdentity& pooled_identity(size_t i);

// A fresh random nonce.
Nonce test_nonce();
// A prekey set as REGISTER and PREKEY_UPLOAD carry (tacit-protocol(7),
// PREKEYS): a fresh signed prekey (id 7) signed by signer for user, and n
// fresh one-time prekeys numbered from first_id.
msg::PrekeySet test_prekeys(const crypto::PkKey& signer, const std::string& user, uint32_t first_id = 1,
                            size_t n = 0);

// VmRSS / VmHWM (peak RSS) of a process in KiB (0 if unknown).
size_t rss_kib(pid_t pid);
size_t hwm_kib(pid_t pid);
// Whether the process still runs (not a zombie).
bool process_alive(pid_t pid);

// True once the peer has closed fd (EOF or reset); reads and discards
// whatever is waiting. Never blocks longer than wait_ms.
bool peer_closed(int fd, int wait_ms = 0);

// Polls the server log for needle for up to timeout_ms; with `more`, for
// more than that many occurrences (log_count before the attack).
bool log_shows(const TestServer& s, const std::string& needle, int timeout_ms, size_t more = 0);
size_t log_count(const TestServer& s, const std::string& needle);

}  // namespace tacit::test
