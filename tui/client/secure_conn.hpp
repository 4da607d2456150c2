// The client's end of the channel: a blocking socket, the frame decoder and
// the sealed channel. Handshake (HELLO), resume (RESUME) and key request
// (KEY_REQUEST) live here; what to say over the channel is Client's business.
#pragma once
#include <optional>
#include <stdexcept>

#include "shared/batch_sig.hpp"
#include "shared/channel.hpp"
#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/keys.hpp"
#include "shared/net.hpp"
#include "shared/protocol.hpp"

namespace tacit::client {

struct ConnError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Frame {
    Secret pt;
    uint64_t seq = 0;  // the s2c sequence number it was sealed at
};

// Shared by this blocking connection (tests, bench) and the client core's
// Conn on the event loop.
// KEY_RESPONSE's body, checked; throws ConnError.
ServerBundle parse_key_response(ByteView body);
// The answer to HELLO or RESUME (kind), sealed under the preliminary key:
// the channel and session id, or nullopt when the server refused a RESUME
// token (AUTH_FAILED). Throws ConnError for anything else.
std::optional<ClientKeys> open_handshake_reply(uint8_t kind, const ClientOffer& co, ByteView sent_body,
                                               ByteView reply);
// The pinned bundle's signing key; the bundle was checked when decoded.
crypto::PkKey parse_server_key(const ServerBundle& b);
// Appends one sig per signer over the c2s sig input at seq.
void sign_c2s(Bytes& body, const Array<32>& session_id, uint64_t seq, const crypto::PkKey* signer,
              const crypto::PkKey* signer2);
// The one check of a server reply's sig field: its batch proof over the
// s2c sig input at f.seq; v remembers the roots already verified.
bool verify_s2c(const crypto::PkKey& server, batch::Verifier& v, const Array<32>& session_id, const Frame& f,
                size_t signed_len, ByteView sig);

class SecureConn {
public:
    // Asks a server for its public bundle in the clear (first contact, TOFU).
    static ServerBundle key_request(const Endpoint& ep, int timeout_ms);

    SecureConn(const Endpoint& ep, ServerBundle server, int timeout_ms);
    void hello();                    // throws ConnError
    bool resume(const Token& token); // false: token refused (AUTH_FAILED)

    // Seals type|fields, appending one signature per signer over the c2s
    // sig input at the sequence number this frame gets.
    void send(Bytes body, const crypto::PkKey* signer = nullptr,
              const crypto::PkKey* signer2 = nullptr);
    // Next frame within timeout_ms (0 = only what's already readable).
    // nullopt on timeout; throws ConnError when the connection is gone.
    std::optional<Frame> recv(int timeout_ms);
    bool verify_server_sig(const Frame& f, size_t signed_len, ByteView sig) const;

    // Key renewal on the live channel: returns the ECIES for RENEW2 and
    // remembers the offer; finish_renew installs the new keys.
    Bytes begin_renew(const Token& token);
    bool finish_renew(const Array<32>& server_random, const Array<32>& server_eph_pub, const Nonce& nonce);

    void logged_in() { dec_.set_max(proto::kMaxFrameLoggedIn); }
    int fd() const { return fd_.get(); }
    // When the last whole frame went out (CLOCK_MONOTONIC ms): the server's
    // idle timeout counts from it, so keepalive does too.
    uint64_t last_send_ms() const { return last_send_ms_; }
    const Array<32>& session_id() const { return session_id_; }
    const ServerBundle& server() const { return server_; }
    // Parsed once: every reply and system entry is checked against it.
    const crypto::PkKey& server_key() const { return server_key_; }

private:
    std::optional<Bytes> read_frame(int timeout_ms);
    bool establish(uint8_t kind, const char* label, std::optional<Token> token);

    Endpoint ep_;
    ServerBundle server_;
    crypto::PkKey server_key_;
    mutable batch::Verifier verifier_;  // a cache: verifying changes nothing seen
    int timeout_ms_;
    UniqueFd fd_;
    FrameDecoder dec_{proto::kMaxFramePreLogin};
    std::optional<Channel> ch_;
    Array<32> session_id_{};
    std::optional<ClientOffer> renew_;
    uint64_t last_send_ms_ = 0;
};

}  // namespace tacit::client
